"""Signal in the feedback: embeddings and the themes they cluster into, as pure functions over
text and item ids (the vectors themselves are stored beside the items)."""

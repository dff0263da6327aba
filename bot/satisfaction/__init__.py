"""Did it work? A one-question satisfaction link in the reply, and the customer's score."""

"""Items into themes, the number of themes chosen from the data.

Spectral clustering over the items' nearest-neighbour graph: each item links to the few items
most like it, and themes are the groups the links hold together. That follows themes of any
shape and size better than k-means on the raw vectors (measured in `benchmarks/themes.py`).
The number of themes is the one whose grouping the raw vectors support best (mean silhouette,
cosine), tried over a spread of counts. Past `SAMPLE` items an even sample is clustered and
every other item joins the theme whose centre is nearest, so time stays bounded.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import scipy.sparse as sparse
from scipy.sparse.csgraph import laplacian
from scipy.sparse.linalg import ArpackError, eigsh
from sklearn.cluster import AgglomerativeClustering, KMeans
from sklearn.metrics import silhouette_score

from bot.ports.embeddings import Vectors
from bot.signal.embedding import unit_rows

Labels = npt.NDArray[np.int64]

NEIGHBOURS = 10
GRAPH = 4
# Eigenvectors only place rows for k-means: three or four digits are plenty.
EIGEN_TOLERANCE = 1e-4
SAMPLE = 5_000
MAX_THEMES = 150
CANDIDATES = 12
SEED = 0
_BLOCK = 2_048
_DENSE = 500


def cluster(vectors: Vectors) -> Labels:
    """A theme number per row of unit-length `vectors`, from 0."""
    count = len(vectors)
    distinct, copies = np.unique(vectors, axis=0, return_inverse=True)
    if len(distinct) < count:
        # Copies of one text are one theme whatever else happens; cluster each text once.
        return cluster(distinct)[copies.ravel()]
    if count < GRAPH:
        return _few(vectors)
    if count <= SAMPLE:
        return _spectral(vectors)
    picked = np.linspace(0, count - 1, SAMPLE).round().astype(np.int64)
    sample_labels = _spectral(vectors[picked])
    return nearest_centre(vectors, centres(vectors[picked], sample_labels))


def centres(vectors: Vectors, labels: Labels) -> Vectors:
    """Each theme's mean direction, unit length."""
    sums = np.zeros((int(labels.max()) + 1, vectors.shape[1]), dtype=np.float32)
    np.add.at(sums, labels, vectors)
    return unit_rows(sums)


def nearest_centre(vectors: Vectors, centre_rows: Vectors) -> Labels:
    return np.concatenate(
        [
            np.argmax(vectors[start : start + _BLOCK] @ centre_rows.T, axis=1)
            for start in range(0, len(vectors), _BLOCK)
        ]
    ).astype(np.int64)


def _few(vectors: Vectors) -> Labels:
    """Two or three rows are too few for a graph: rows join when they are much closer to each
    other than rows of this set usually are (half way from the usual similarity to identical)."""
    if len(vectors) < 2:
        return np.zeros(len(vectors), dtype=np.int64)
    similar = vectors @ vectors.T
    usual = float(similar[~np.eye(len(vectors), dtype=bool)].mean())
    joined = AgglomerativeClustering(
        n_clusters=None,
        metric="cosine",
        linkage="average",
        distance_threshold=max(1e-6, (1 - usual) / 2),
    ).fit_predict(vectors)
    return np.asarray(joined, dtype=np.int64)


def _spectral(vectors: Vectors) -> Labels:
    count = len(vectors)
    graph = _neighbour_graph(vectors, min(NEIGHBOURS, max(2, count // 3)))
    highest = _most_themes(count)
    gaps, embedding = _spectral_embedding(graph, highest + 1)
    counts = sorted({*_spread(highest), _widest_gap(gaps, highest)})
    best: tuple[float, Labels] | None = None
    for themes in counts:
        rows = unit_rows(embedding[:, :themes]).astype(np.float64)  # float32 is slower here
        labels = KMeans(themes, n_init=1, random_state=SEED).fit_predict(rows).astype(np.int64)
        if len(np.unique(labels)) < 2:
            continue
        score = float(silhouette_score(vectors, labels, metric="cosine"))
        if best is None or score > best[0]:
            best = (score, labels)
    return best[1] if best else np.zeros(count, dtype=np.int64)


def _most_themes(count: int) -> int:
    """A theme per 20 items (a third of them when few), at most `MAX_THEMES`."""
    return max(2, min(MAX_THEMES, count // 20 if count >= 60 else count // 3))


def _spread(highest: int) -> set[int]:
    """Counts from 2 to `highest`, evenly on a log scale."""
    return {int(v) for v in np.rint(np.geomspace(2, highest, num=min(CANDIDATES, highest - 1)))}


def _widest_gap(eigenvalues: npt.NDArray[np.float64], highest: int) -> int:
    """The count after which the Laplacian's eigenvalues jump most: the graph's own guess."""
    gaps = np.diff(eigenvalues[: highest + 1])
    return int(np.argmax(gaps[1:])) + 2 if len(gaps) > 1 else 2


def _neighbour_graph(vectors: Vectors, neighbours: int) -> sparse.csr_matrix:
    """Each row linked to its `neighbours` most similar rows; links made symmetric."""
    count = len(vectors)
    columns = np.empty((count, neighbours), dtype=np.int64)
    for start in range(0, count, _BLOCK):
        similar = vectors[start : start + _BLOCK] @ vectors.T
        block = np.arange(start, min(start + _BLOCK, count))
        similar[block - start, block] = -np.inf
        columns[block] = np.argpartition(-similar, neighbours - 1, axis=1)[:, :neighbours]
    rows = np.repeat(np.arange(count), neighbours)
    links = sparse.csr_matrix(
        (np.ones(rows.size, dtype=np.float64), (rows, columns.ravel())), shape=(count, count)
    )
    return (links + links.T) * 0.5


def _spectral_embedding(
    graph: sparse.csr_matrix, dimensions: int
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """The normalised Laplacian's `dimensions` smallest eigenvalues, ascending, and their
    eigenvectors scaled back by degree."""
    count = graph.shape[0]
    dimensions = min(dimensions, count - 2)
    # The largest eigenvalues of 2I - L are the smallest of L, and converge far faster.
    shifted = 2 * sparse.identity(count) - laplacian(graph, normed=True)
    values, vectors = _top_eigen(shifted, dimensions)
    order = np.argsort(-values)[:dimensions]
    degree = np.asarray(graph.sum(axis=1)).ravel()
    scaled = vectors[:, order] / np.sqrt(np.maximum(degree, 1e-12))[:, None]
    return 2 - values[order], np.asarray(scaled)


def _top_eigen(
    matrix: sparse.spmatrix, dimensions: int
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Eigenvalues and eigenvectors of a symmetric matrix, at least its `dimensions` largest.

    Small graphs, and the rare one the sparse iteration cannot settle, are solved outright."""
    count = matrix.shape[0]
    if count > _DENSE:
        try:
            values, vectors = eigsh(
                matrix,
                k=dimensions,
                which="LM",
                tol=EIGEN_TOLERANCE,
                v0=np.random.default_rng(SEED).random(count),
            )
            return values, vectors
        except ArpackError:
            pass
    values, vectors = np.linalg.eigh(matrix.toarray())
    return values, vectors

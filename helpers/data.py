r"""Binary image data for the VAE notebook: scikit-learn's 8x8 digits offline, binarised MNIST on request.

``load_digits_binarized()`` needs no network: the 1,797 images ship inside scikit-learn
(``sklearn/datasets/data/digits.csv.gz``; provenance and licence in ``data/README.md``).  Each
pixel is a count 0..16 of "on" pixels in a 4x4 block of a 32x32 bitmap; we keep x_d = 1 when the
count is above 8 (more than half the block on), so every image is a vector in {0, 1}^64 and
p_theta(x|z) can be a product of Bernoullis.

``load_mnist_binarized()`` is optional: it downloads the fixed (stochastically binarised once, by
Larochelle & Murray 2011) binarised MNIST, checks SHA-256 digests, caches the files and explains
itself when offline.  Nothing in the course calls it by default.
"""

from __future__ import annotations

import hashlib
import os
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np

from helpers._validation import positive_int

__all__ = [
    "DEFAULT_CACHE",
    "DIGITS_THRESHOLD",
    "MNIST_FILES",
    "load_digits_binarized",
    "load_mnist_binarized",
    "parse_amat",
    "sha256_of",
]

#: a pixel count (0..16) above this becomes 1.
DIGITS_THRESHOLD = 8
_DIGITS_N_TEST = 360
_DIGITS_SPLIT_SEED = 0


def load_digits_binarized(*, n_test: int = _DIGITS_N_TEST, seed: int = _DIGITS_SPLIT_SEED):
    r"""scikit-learn's handwritten digits, binarised at > 8/16, split into a fixed train and test set.

    Returns ``(x_train, x_test, y_train, y_test)``: ``x_*`` float32 arrays of 0/1 of shape (n, 64)
    (row-major 8x8 images), ``y_*`` int64 digit labels of shape (n,).  With the defaults the split is
    1,437 training and 360 test images, stratified by label (36 test images per digit, or as close as
    the class sizes allow) and fixed by ``seed`` through NumPy's PCG64, so it is the same on every machine.
    """
    n_test = positive_int(n_test, "n_test")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"seed must be an integer, got {seed!r}")
    from sklearn.datasets import load_digits  # imported here: sklearn is slow to import

    bunch = load_digits()
    counts, labels = np.asarray(bunch.data), np.asarray(bunch.target, dtype=np.int64)
    if n_test >= len(labels):
        raise ValueError(f"n_test must be smaller than the {len(labels)} images, got {n_test}")
    x = (counts > DIGITS_THRESHOLD).astype(np.float32)

    # Stratified split: shuffle each class, give it a share of the test set proportional to its size
    # (largest remainders settle the rounding), so every digit is represented in the test images.
    rng = np.random.default_rng(seed)
    classes, sizes = np.unique(labels, return_counts=True)
    share = sizes * n_test / len(labels)
    take = np.floor(share).astype(int)
    take[np.argsort(share - take)[::-1][: n_test - take.sum()]] += 1
    test_idx = np.concatenate(
        [rng.permutation(np.flatnonzero(labels == c))[:t] for c, t in zip(classes, take, strict=True)]
    )
    test_idx = rng.permutation(test_idx)
    is_test = np.zeros(len(labels), dtype=bool)
    is_test[test_idx] = True
    train_idx = rng.permutation(np.flatnonzero(~is_test))
    return x[train_idx], x[test_idx], labels[train_idx], labels[test_idx]


# --- optional: binarised MNIST (Larochelle & Murray's fixed binarisation), downloaded on request ---------

_MNIST_URL = "http://www.cs.toronto.edu/~larocheh/public/datasets/binarized_mnist/binarized_mnist_{}.amat"
#: split -> (file name, SHA-256) of the published .amat files (each line: 784 space-separated 0/1).
#: Digests copied from TensorFlow Datasets' record of these URLs, tensorflow/datasets
#: ``tensorflow_datasets/url_checksums/binarized_mnist.txt`` (commit 333639b37af6, which also gives the sizes:
#: 78,400,000 bytes for train, 15,680,000 for valid and test); ``load_mnist_binarized`` checks every download
#: against them.
MNIST_FILES = {
    "train": ("binarized_mnist_train.amat",
              "ad693b29f94c14277b095f5238ddefbbdaaae0939789dd2f4f0205278cee3e4d"),
    "valid": ("binarized_mnist_valid.amat",
              "1de3d397c40fe8eeb33dafd4099a1f665ec01e96d9be234aaeeac8a34930e2e2"),
    "test": ("binarized_mnist_test.amat",
             "e6687bfea3f820c174f33b7865140b2a2dd2930ef786f35d45795fc193b5ab2c"),
}


def sha256_of(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def parse_amat(path: str | os.PathLike, data_dim: int = 784) -> np.ndarray:
    """Read an ``.amat`` file (one image per line, ``data_dim`` space-separated 0/1) as float32 (n, data_dim).

    Raises ``ValueError`` naming the file and line when a row has the wrong length or a value other than 0/1.
    """
    data_dim = positive_int(data_dim, "data_dim")
    rows = []
    with open(path, encoding="ascii") as fh:
        for line_no, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                row = np.array(line.split(), dtype=np.float32)
            except ValueError:
                raise ValueError(f"{path}: line {line_no} is not a list of numbers") from None
            if row.shape != (data_dim,):
                raise ValueError(f"{path}: line {line_no} has {row.size} values, expected {data_dim}")
            rows.append(row)
    if not rows:
        raise ValueError(f"{path}: no images found")
    x = np.stack(rows)
    if not np.all((x == 0) | (x == 1)):
        raise ValueError(f"{path}: values must be 0 or 1 (binarised pixels)")
    return x


def _fetch(url: str, target: Path, sha256: str) -> None:
    """Download ``url`` to ``target`` atomically and check its digest; a clear error when offline."""
    tmp = target.with_name(target.name + ".part")
    try:
        with urllib.request.urlopen(url, timeout=60) as response, open(tmp, "wb") as out:
            for block in iter(lambda: response.read(1 << 20), b""):
                out.write(block)
    except (urllib.error.URLError, OSError) as exc:
        tmp.unlink(missing_ok=True)
        raise RuntimeError(
            f"could not download {url} ({exc}). Binarised MNIST is optional: the course runs offline on "
            f"scikit-learn's digits. To use MNIST offline, place {target.name} in {target.parent} yourself."
        ) from exc
    got = sha256_of(tmp)
    if got != sha256:
        tmp.unlink(missing_ok=True)
        raise RuntimeError(f"{url}: SHA-256 {got} does not match the expected {sha256}; file discarded")
    os.replace(tmp, target)


#: Default cache: the course's ``data/cache/`` (git-ignored), wherever the notebook or script runs from.
DEFAULT_CACHE = Path(__file__).resolve().parents[1] / "data" / "cache"


def load_mnist_binarized(cache_dir: str | os.PathLike | None = None, *, download: bool = True, files=None):
    r"""Binarised MNIST as float32 arrays ``(x_train, x_valid, x_test)`` of shapes (50000|10000|10000, 784).

    Files are looked for in ``cache_dir`` (default ``DEFAULT_CACHE``, the repository's ``data/cache/``,
    about 110 MB once filled); a missing one is downloaded (when ``download``), its SHA-256
    checked against ``files`` (default ``MNIST_FILES``), and moved into place only when it matches.
    A cached file whose digest does not match raises ``RuntimeError`` rather than being trusted.
    """
    files = MNIST_FILES if files is None else files
    if set(files) != {"train", "valid", "test"}:
        raise ValueError("files must map 'train', 'valid' and 'test' to (file name, sha256)")
    cache = DEFAULT_CACHE if cache_dir is None else Path(cache_dir)
    cache.mkdir(parents=True, exist_ok=True)
    out = []
    for split in ("train", "valid", "test"):
        name, digest = files[split]
        target = cache / name
        if not target.exists():
            if not download:
                raise FileNotFoundError(f"{target} is missing and download=False")
            _fetch(_MNIST_URL.format(split), target, digest)
        elif sha256_of(target) != digest:
            raise RuntimeError(
                f"{target}: SHA-256 does not match the expected {digest}; delete it to re-download"
            )
        out.append(parse_amat(target))
    return tuple(out)

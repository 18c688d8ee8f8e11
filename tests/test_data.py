"""helpers.data: the offline digits split, and the optional MNIST loader on files written here (offline)."""

from __future__ import annotations

import urllib.error

import numpy as np
import pytest
from sklearn.datasets import load_digits

from helpers import data as D


def _rows_with_labels(x, y):
    """Rows (pixels..., label) sorted lexicographically: the multiset of (image, label) pairs."""
    table = np.column_stack([x, y]).astype(np.int64)
    return table[np.lexsort(table.T[::-1])]


def test_digits_shapes_types_and_split():
    x_train, x_test, y_train, y_test = D.load_digits_binarized()
    assert x_train.shape == (1437, 64) and x_test.shape == (360, 64)
    assert y_train.shape == (1437,) and y_test.shape == (360,)
    assert x_train.dtype == np.float32 and y_train.dtype == np.int64
    # stratified: every digit has 35..37 test images
    counts = np.bincount(y_test, minlength=10)
    assert counts.min() >= 35 and counts.max() <= 37 and counts.sum() == 360


def test_digits_are_sklearns_images_binarised_above_8_of_16():
    x_train, x_test, y_train, y_test = D.load_digits_binarized()
    bunch = load_digits()
    reference = (bunch.data > 8).astype(np.float32)
    assert np.array_equal(
        _rows_with_labels(np.vstack([x_train, x_test]), np.concatenate([y_train, y_test])),
        _rows_with_labels(reference, bunch.target),
    )
    # A threshold of >= 8 or > 7 would turn on more pixels: the fraction pins the rule down.
    assert np.isclose(np.vstack([x_train, x_test]).mean(), (bunch.data > 8).mean())
    assert not np.isclose((bunch.data >= 8).mean(), (bunch.data > 8).mean())


def test_digits_split_is_fixed_and_seed_dependent():
    a = D.load_digits_binarized()
    b = D.load_digits_binarized()
    for u, v in zip(a, b, strict=True):
        np.testing.assert_array_equal(u, v)
    c = D.load_digits_binarized(seed=1)
    assert not np.array_equal(a[3], c[3])
    small = D.load_digits_binarized(n_test=100)
    assert small[1].shape == (100, 64) and small[0].shape == (1697, 64)


@pytest.mark.parametrize(
    "kwargs", [{"n_test": 0}, {"n_test": 1797}, {"n_test": 2.5}, {"seed": "zero"}, {"seed": True}]
)
def test_digits_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        D.load_digits_binarized(**kwargs)


# --- MNIST: the parser and the cache logic, on small files written here -------------------------------------


def _write_amat(path, rows):
    path.write_text("".join(" ".join(str(int(v)) for v in row) + "\n" for row in rows))


def test_parse_amat_reads_rows(tmp_path):
    rows = (np.random.default_rng(0).random((3, 784)) < 0.2).astype(int)
    _write_amat(tmp_path / "a.amat", rows)
    x = D.parse_amat(tmp_path / "a.amat")
    assert x.shape == (3, 784) and x.dtype == np.float32
    np.testing.assert_array_equal(x, rows)


@pytest.mark.parametrize(
    "text, match",
    [("0 1 0\n0 1\n", "line 2 has 2 values"), ("0 1 2\n", "0 or 1"), ("0 a 1\n", "line 1 is not"),
     ("\n", "no images")],
)
def test_parse_amat_rejects_bad_files(tmp_path, text, match):
    (tmp_path / "bad.amat").write_text(text)
    with pytest.raises(ValueError, match=match):
        D.parse_amat(tmp_path / "bad.amat", data_dim=3)


def _fake_cache(tmp_path):
    files = {}
    rng = np.random.default_rng(1)
    for split, n in (("train", 5), ("valid", 2), ("test", 3)):
        name = f"binarized_mnist_{split}.amat"
        _write_amat(tmp_path / name, (rng.random((n, 784)) < 0.3).astype(int))
        files[split] = (name, D.sha256_of(tmp_path / name))
    return files


def test_load_mnist_from_a_verified_cache(tmp_path):
    files = _fake_cache(tmp_path)
    x_train, x_valid, x_test = D.load_mnist_binarized(tmp_path, download=False, files=files)
    assert x_train.shape == (5, 784) and x_valid.shape == (2, 784) and x_test.shape == (3, 784)


def test_load_mnist_rejects_a_cached_file_with_the_wrong_digest(tmp_path):
    files = _fake_cache(tmp_path)
    files["test"] = (files["test"][0], "0" * 64)
    with pytest.raises(RuntimeError, match="SHA-256"):
        D.load_mnist_binarized(tmp_path, download=False, files=files)


def test_load_mnist_missing_file_without_download(tmp_path):
    with pytest.raises(FileNotFoundError, match="download=False"):
        D.load_mnist_binarized(tmp_path, download=False)


def test_load_mnist_offline_gives_a_clear_error(tmp_path, monkeypatch):
    def offline(*args, **kwargs):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(D.urllib.request, "urlopen", offline)
    with pytest.raises(RuntimeError, match="could not download .*runs offline"):
        D.load_mnist_binarized(tmp_path)
    assert not list(tmp_path.iterdir())  # no partial file left in the cache


def test_download_with_a_wrong_digest_is_discarded(tmp_path, monkeypatch):
    import io

    payload = b"0 1\n" * 3

    class Response(io.BytesIO):
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(D.urllib.request, "urlopen", lambda url, timeout: Response(payload))
    files = {s: (f"{s}.amat", "f" * 64) for s in ("train", "valid", "test")}
    with pytest.raises(RuntimeError, match="does not match"):
        D.load_mnist_binarized(tmp_path, files=files)
    assert not list(tmp_path.iterdir())


def test_mnist_digests_are_well_formed():
    assert set(D.MNIST_FILES) == {"train", "valid", "test"}
    for name, digest in D.MNIST_FILES.values():
        assert name.endswith(".amat") and len(digest) == 64 and int(digest, 16) >= 0


def test_download_verifies_and_caches(tmp_path, monkeypatch):
    import hashlib
    import io

    payload = ("0 1 " * 392).strip().encode() + b"\n"
    digest = hashlib.sha256(payload).hexdigest()
    calls = []

    def fake_urlopen(url, timeout):
        calls.append(url)
        return io.BytesIO(payload)

    monkeypatch.setattr(D.urllib.request, "urlopen", fake_urlopen)
    files = {s: (f"{s}.amat", digest) for s in ("train", "valid", "test")}
    x_train, _, _ = D.load_mnist_binarized(tmp_path, files=files)
    assert x_train.shape == (1, 784) and x_train.sum() == 392 and len(calls) == 3
    D.load_mnist_binarized(tmp_path, files=files)  # second call: served from the cache
    assert len(calls) == 3


def test_default_cache_is_the_repositorys_data_cache(tmp_path, monkeypatch):
    from pathlib import Path

    assert D.DEFAULT_CACHE == Path(D.__file__).resolve().parents[1] / "data" / "cache"
    monkeypatch.setattr(D, "DEFAULT_CACHE", tmp_path / "cache")
    with pytest.raises(FileNotFoundError, match=str(tmp_path / "cache")):
        D.load_mnist_binarized(download=False)

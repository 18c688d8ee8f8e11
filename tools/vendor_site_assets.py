"""Re-create ``tools/site/assets/``: the scripts, styles and fonts the offline site and slides load.

The static site (``make site``) and the slides (``make slides``) must work without a network, so every script
they load is served from a local copy instead of the CDNs nbconvert points at by default. The copies are
committed in ``tools/site/assets/``; this script is how they were made and how to update them. It
downloads each pinned npm package with ``npm pack`` (the npm registry, its ordinary client), checks the
tarball against the pinned ``integrity`` hash (the one the registry publishes), copies only the files listed
below and writes ``MANIFEST.json`` (versions, licences, a SHA-256 per file), which ``build_site.py`` checks
before every build.

Usage:  python -m tools.vendor_site_assets       (needs ``npm``; not run by the tests)
"""

from __future__ import annotations

import base64
import fnmatch
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from tools.course import ASSETS_DIR

ASSETS = ASSETS_DIR

# folder in tools/site/assets/ -> npm package, pinned version and integrity, licence, (glob in package, target dir)
PACKAGES = {
    "html-manager": {
        "npm": "@jupyter-widgets/html-manager",
        # Matches ipywidgets 8.1.9 / jupyterlab_widgets 3.0.17 (same @jupyter-widgets/base 6, controls 5).
        "version": "1.0.15",
        "integrity": "sha512-5thBIV6ymNgmPVOHvzx+gGy8ZSKmSazhtGw4/c4x"
                     "JDVzRhG9PTeQsRjF3FUTopvFi//SABeNz1yp47bCrJ3CQA==",
        "license": "BSD-3-Clause (bundled code: see THIRD-PARTY-LICENSES.txt; Font Awesome fonts: OFL-1.1)",
        # Chromium uses the woff2 fonts; the eot/ttf/svg/woff variants are never requested.
        "files": [("dist/embed-amd.js", ""), ("dist/*.woff2", ""), ("dist/embed.js.LICENSE.txt", "")],
        "rename": {"embed.js.LICENSE.txt": "THIRD-PARTY-LICENSES.txt"},
    },
    "requirejs": {
        "npm": "requirejs",
        "version": "2.3.8",
        "integrity": "sha512-7/cTSLOdYkNBNJcDMWf+luFvMriVm7eYxp4BcFCs"
                     "AX0wF421Vyce5SXP17c+Jd5otXKGNehIonFlyQXSowL6Mw==",
        "license": "MIT (notice in the header of require.js)",
        "files": [("require.js", "")],
    },
    "mathjax": {
        "npm": "mathjax",
        "version": "3.2.2",
        "integrity": "sha512-Bt+SSVU8eBG27zChVewOicYs7Xsdt40qm4+UpHyX"
                     "7k0/O9NliPc+x77k1/FEsPsjKPZGJvtRZM1vO+geW0OhGw==",
        "license": "Apache-2.0",
        # One file with every TeX extension (nothing is loaded on demand) plus the CommonHTML fonts it uses.
        "files": [("es5/tex-chtml-full.js", ""), ("LICENSE", ""),
                  ("es5/output/chtml/fonts/woff-v2/*.woff", "output/chtml/fonts/woff-v2")],
    },
    "reveal.js": {
        "npm": "reveal.js",
        "version": "5.2.1",
        "integrity": "sha512-r7//6mIM5p34hFiDMvYfXgyjXqGRta+/psd9Ytyt"
                     "sgRlrpRzFv4RbH76TXd2qD+7ZPZEbpBDhdRhJaFgfQ7zNQ==",
        "license": "MIT (theme font Source Sans Pro: OFL-1.1, dist/theme/fonts/source-sans-pro/LICENSE)",
        "files": [("dist/reveal.js", "dist"), ("dist/reveal.css", "dist"),
                  ("dist/theme/white.css", "dist/theme"),
                  *((f"dist/theme/fonts/source-sans-pro/{name}", "dist/theme/fonts/source-sans-pro")
                    for name in ("source-sans-pro.css", "*.woff", "LICENSE")),
                  ("plugin/notes/notes.js", "plugin/notes"), ("LICENSE", "")],
    },
    # Not copied into the site: the accessibility tests inject it into every page and deck they check.
    "axe-core": {
        "npm": "axe-core",
        "version": "4.14.1",
        "integrity": "sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09"
                     "a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ==",
        "license": "MPL-2.0",
        "files": [("axe.min.js", ""), ("LICENSE", "")],
    },
}


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _npm_pack(spec: str, integrity: str, workdir: Path) -> Path:
    out = subprocess.run(["npm", "pack", spec, "--json", "--pack-destination", str(workdir)],
                         check=True, capture_output=True, text=True, cwd=workdir)
    tarball = workdir / json.loads(out.stdout)[0]["filename"]
    algorithm, expected = integrity.split("-", 1)
    actual = base64.b64encode(hashlib.new(algorithm, tarball.read_bytes()).digest()).decode()
    if actual != expected:
        raise RuntimeError(f"{spec}: tarball integrity {algorithm}-{actual} is not the pinned {integrity}")
    return tarball


def vendor(target: Path = ASSETS) -> dict:
    manifest = {"packages": {}, "files": {}}
    if target.exists():
        for child in target.iterdir():
            if child.is_dir():
                shutil.rmtree(child)
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for name, spec in PACKAGES.items():
            tarball = _npm_pack(f"{spec['npm']}@{spec['version']}", spec["integrity"], Path(tmp))
            with tarfile.open(tarball) as tar:
                members = {m.name.removeprefix("package/"): m for m in tar.getmembers() if m.isfile()}
                for pattern, subdir in spec["files"]:
                    matched = sorted(p for p in members if fnmatch.fnmatchcase(p, pattern))
                    if not matched:
                        raise RuntimeError(f"{spec['npm']}: no file matches {pattern}")
                    for path in matched:
                        base = Path(path).name
                        dest = target / name / subdir / spec.get("rename", {}).get(base, base)
                        dest.parent.mkdir(parents=True, exist_ok=True)
                        dest.write_bytes(tar.extractfile(members[path]).read())
                        manifest["files"][dest.relative_to(target).as_posix()] = sha256_of(dest)
            manifest["packages"][name] = {k: spec[k] for k in ("npm", "version", "integrity", "license")}
    manifest["files"] = dict(sorted(manifest["files"].items()))
    (target / "MANIFEST.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return manifest


if __name__ == "__main__":
    files = vendor()["files"]
    total = sum((ASSETS / f).stat().st_size for f in files)
    print(f"{len(files)} files, {total / 1e6:.2f} MB in {ASSETS}")
    sys.exit(0)

"""CITATION.cff stays in step with the course: its schema version, its repository and the README's pointer to it."""

import re

from tools.course import COURSE_REPO, ROOT


def test_citation_file_names_the_course_repository():
    text = (ROOT / "CITATION.cff").read_text(encoding="utf-8")
    assert re.search(r"^cff-version: 1\.2\.0$", text, flags=re.MULTILINE)
    assert re.search(r'^  - name: "The VI course contributors"$', text, flags=re.MULTILINE)
    urls = re.findall(r'^(?:repository-code|url): "([^"]+)"$', text, flags=re.MULTILINE)
    assert urls and all(url == f"https://github.com/{COURSE_REPO}" for url in urls), urls


def test_readme_says_how_to_cite():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "## How to cite" in readme and "(CITATION.cff)" in readme

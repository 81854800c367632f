"""A user who leaves a directive or a Liquid section open gets one line and exit 2."""

from __future__ import annotations

import pytest

from ganreport.__main__ import main
from tests.run_fixtures import write_study


@pytest.mark.parametrize(
    ("page", "message"),
    [
        (
            "---\ntitle: GAN\n---\n# GAN\n\n{% loss_plot v1\n\nMore text.\n",
            "index.md:6: unclosed directive {% loss_plot v1; "
            "expected it to end with %} on the same line",
        ),
        (
            "# GAN\n\n{% raw %}\n{{ site.title }}\n",
            "index.md:3: {% raw %} is never closed; end it with {% endraw %}",
        ),
    ],
)
def test_user_leaves_a_directive_unclosed(tmp_path, capsys, page, message):
    src = tmp_path / "site_src"
    src.mkdir()
    (src / "index.md").write_text(page, encoding="utf-8")
    write_study(tmp_path / "runs", epochs=2)
    argv = ["build", "--src", str(src), "--runs", str(tmp_path / "runs"),
            "--out", str(tmp_path / "_site"), "--cache", str(tmp_path / "cache")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err == f"error: {src / message}\n"
    assert not (tmp_path / "_site" / "index.html").exists()

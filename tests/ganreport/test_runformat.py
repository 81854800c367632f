"""The contract module: import-free, self-consistent, and docs/run-format.md generated from it."""

from __future__ import annotations

import ast
from pathlib import Path

from ganreport import runformat, runformat_docs

DOC = Path(__file__).resolve().parents[2] / "docs" / "run-format.md"


def test_run_format_doc_is_generated_from_the_module():
    text = DOC.read_text(encoding="utf-8")
    assert runformat_docs.render(text) == text, (
        "docs/run-format.md is out of date: run python -m ganreport.runformat_docs")
    for name in runformat_docs.SECTIONS:
        assert f"<!-- generated: {name} -->" in text, f"no generated {name} table in the doc"
    for quantity in runformat.QUANTITIES:
        assert f"| `{quantity.name}` |" in text


def test_doc_check_fails_when_the_doc_drifts(tmp_path, monkeypatch):
    stale = DOC.read_text(encoding="utf-8").replace("| `d_real` |", "| `d_rael` |")
    copy = tmp_path / "run-format.md"
    copy.write_text(stale, encoding="utf-8")
    monkeypatch.setattr(runformat_docs, "DOC", copy)
    assert runformat_docs.main(["--check"]) == 1
    assert runformat_docs.main([]) == 0 and runformat_docs.main(["--check"]) == 0


def test_the_module_imports_nothing_but_dataclasses():
    tree = ast.parse(Path(runformat.__file__).read_text(encoding="utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported <= {"__future__", "dataclasses"}


def test_every_loss_has_losses_and_d_outputs_in_the_table():
    for loss in runformat.LOSSES:
        names = {q.name for q in runformat.quantities_in_figure(loss, runformat.LOSS_FIGURE)}
        assert names == {"loss_d", "loss_g"}, loss
        kinds = {q.kind for q in runformat.quantities_in_figure(loss, runformat.D_FIGURE)}
        assert kinds, loss
        assert (runformat.PROBABILITY in kinds) == (loss == "bce"), loss


def test_a_name_has_one_meaning_per_loss():
    seen = set()
    for quantity in runformat.QUANTITIES:
        for loss in quantity.losses:
            assert (quantity.name, loss, quantity.file) not in seen, quantity.name
            seen.add((quantity.name, loss, quantity.file))


def test_axis_labels_carry_units_and_fall_back_to_the_kind():
    assert runformat.axis_label(runformat.quantity("wall_time_s", "bce")) == "epoch wall time (s)"
    real, fake = runformat.quantity("d_real", "lsgan"), runformat.quantity("d_fake", "lsgan")
    assert runformat.axis_label(real) == "D output on real"
    assert runformat.axis_label(real, fake) == "D output (raw)"


def test_field_types():
    assert runformat.type_matches(3, "int") and not runformat.type_matches(True, "int")
    assert runformat.type_matches(2.5, "number") and not runformat.type_matches("2", "number")
    assert runformat.type_matches([0.7, 1.0], "range")
    assert not runformat.type_matches([1.0, 0.7], "range")
    assert not runformat.type_matches([1.0], "range")
    assert {field.type for table in runformat.FIELDS_BY_FILE.values() for field in table} <= \
        set(runformat.FIELD_TYPES)

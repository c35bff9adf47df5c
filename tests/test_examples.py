"""The example mapping files exist twice: ``mappings/`` at the top of the repository (the copy
people read and start from) and ``connector/sandbox/mappings/`` (package data, what `demo` and
`sandbox serve --write-config` use in an installed connector). They must be the same files."""

from __future__ import annotations

from pathlib import Path

from connector.cli.demo import example_mappings

REPO = Path(__file__).resolve().parents[1]


def test_the_packaged_example_mappings_are_the_repositorys():
    top = {p.name: p.read_bytes() for p in (REPO / "mappings").iterdir() if p.is_file()}
    packaged = {p.name: p.read_bytes() for p in example_mappings().iterdir() if p.is_file()}
    assert sorted(packaged) == sorted(top)
    for name, content in top.items():
        assert packaged[name] == content, (
            f"connector/sandbox/mappings/{name} differs from mappings/{name}: copy the edited "
            "one over the other"
        )


def test_missing_example_mappings_say_why_in_one_line_and_debug_shows_the_traceback(
    monkeypatch, capsys, tmp_path
):
    import connector.cli.demo as demo
    from connector.cli.main import main
    from connector.core.errors import EXIT_ABORTED

    monkeypatch.setattr(demo, "EXAMPLE_MAPPINGS", tmp_path / "gone")
    assert main(["demo", "--workdir", str(tmp_path / "w")]) == EXIT_ABORTED
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "example mapping files not found" in err
    assert "Traceback" not in err
    assert main(["--debug", "demo", "--workdir", str(tmp_path / "w")]) == EXIT_ABORTED
    err = capsys.readouterr().err
    assert "Traceback" in err and "example_mappings" in err
    assert err.rstrip().splitlines()[-1].startswith("connector: demo: example mapping files")

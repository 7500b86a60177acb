"""One results file per benchmark script: a section per command line (no fits)."""

from benchmarks.common import invocation, read_sections, write_results


def test_invocation_names_the_module_and_drops_the_output_file():
    argv = ["--datasets", "digits", "yale faces", "--out", "x.md", "--timeout=5", "--out=y.md"]
    assert invocation("bench_pairs", argv) == (
        "python -m benchmarks.bench_pairs --datasets digits 'yale faces' --timeout=5"
    )


def test_a_rerun_replaces_its_section_and_another_command_adds_one(tmp_path):
    path = tmp_path / "results.md"
    body = "# Old title\n\nRun one.\n\n## Details\n\n| a |\n"
    write_results(path, "Title", "python -m benchmarks.x --a", body)
    write_results(path, "Title", "python -m benchmarks.x --b", "Run two.")
    write_results(path, "Title", "python -m benchmarks.x --a", "Run three.\n\n## Details")

    text = path.read_text()
    assert text.startswith("# Title\n\n<!-- results of: python -m benchmarks.x --a -->\n")
    assert text.count("# Title") == 1 and "Old title" not in text
    assert "Run one." not in text and "Run two." in text and "Run three." in text
    assert "\n### Details" in text  # the run's headings sit under its section
    sections = read_sections(path)
    assert list(sections) == ["python -m benchmarks.x --a", "python -m benchmarks.x --b"]
    assert sections["python -m benchmarks.x --b"].splitlines()[1:] == [
        "## `python -m benchmarks.x --b`",
        "Run two.",
    ]

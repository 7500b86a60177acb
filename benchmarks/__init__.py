"""The package's benchmarks: each script runs from the repository's root as a module,
``python -m benchmarks.<script> [options]``, and writes one results file beside it.

See ``benchmarks/README.md`` for what each script measures.
"""

"""The grader's pytest plugin, by job (``rnnkit.plugin`` is the entry point that gathers them):

    context    which exercise a test module belongs to, a test's task, the stub's parameter names
    scan       the static scan of a submission's source (flags; a banned import fails every task)
    session    the grading session: submissions per exercise, outcomes per task, the results
    fixtures   impl, ref, rng
    hooks      outcomes per task, children released between exercises, results written at the end
"""

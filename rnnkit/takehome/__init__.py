"""Take-home tests for hiring teams: kits out (cookiecutter), submissions in (rnnkit.intake), reports."""

"""The instructor's pipeline on nbgrader: course folders, assignment notebooks, autograding,
feedback and class reports."""

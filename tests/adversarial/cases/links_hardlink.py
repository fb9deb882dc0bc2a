"""Set up by the test (links_hardlink): the file itself is replaced by a link."""

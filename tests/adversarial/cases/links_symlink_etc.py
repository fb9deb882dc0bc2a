"""Set up by the test (links_symlink_etc): the file itself is replaced by a link."""

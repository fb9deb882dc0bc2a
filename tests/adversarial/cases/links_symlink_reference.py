"""Set up by the test (links_symlink_reference): the file itself is replaced by a link."""

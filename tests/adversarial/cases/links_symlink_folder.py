"""Set up by the test (links_symlink_folder): the file itself is replaced by a link."""

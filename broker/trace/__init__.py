"""Message trace on the broker side: the Pub records it can write itself (pub_writer)."""

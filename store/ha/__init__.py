"""Master/slave replication with the 4.9.x HA protocol (HAService / HAConnection / HAClient in Java): the
master streams raw commit-log bytes to each slave; a slave appends them at the master's offsets and reports
how far it got. No broker imports: the broker only hands the slave its master's address."""

"""ACL 1.0 (plain ACL) as the 4.9.7 broker runs it: plain_acl.yml accounts, whitelists, request signatures and
permissions checked before every request on both broker ports, and the ACL admin request codes."""

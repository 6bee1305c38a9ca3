"""RocketMQ remoting protocol: frames, header serializations, codes, headers, server and client."""

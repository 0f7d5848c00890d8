"""The smartdecl agent: runs on the broker's Windows PC beside the Single Window client (单一窗口客户端)
and moves files between smartdecl's public API and the client's folders (docs/customs-channel.md).

It holds no AWS credentials and imports nothing of the service: only the standard library, `requests`
(through `smartdecl_client`) and, optionally, `watchdog`."""

__version__ = "0.1.0"

"""BlueKing `cmsi` (messages): send_mail, send_sms, send_weixin, send_voice_msg, send_msg, get_msg_type.

Upstream's `result`/`message` semantics are kept (a partial failure is `result: false` naming the
receivers that failed, though the others were sent) and `data` adds the outcome of every receiver.
The doc writes paths without `v2/` (`/api/c/compapi/cmsi/...`); both layouts are served.
"""

"""BlueKing `bk_paas`: get_app_info, answered from OpsGraph's API client apps."""

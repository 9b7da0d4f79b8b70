"""BlueKing `bk_login`: get_user, get_all_users, get_batch_users, get_batch_users_platform_role (and
is_login, which the published client declares), answered from the user directory."""

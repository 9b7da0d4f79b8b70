"""The user directory (BlueKing user objects) and what apps tell about themselves (bk_paas)."""

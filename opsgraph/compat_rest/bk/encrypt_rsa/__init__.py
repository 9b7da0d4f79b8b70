"""bk-nodeman's `encrypt_rsa` API: the public keys clients encrypt credentials with."""

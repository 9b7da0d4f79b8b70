"""Dynamic groups (bk custom queries): stored search_host bodies resolved when used."""

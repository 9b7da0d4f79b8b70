"""bk `nodeman` (节点管理): agent install tasks (create_task) and their progress (get_task_info)."""

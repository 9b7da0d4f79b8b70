"""Display names of the built-in properties of biz, set, module and host (bk-cmdb's defaults).

Used for the `header` of operation-log entries, which pairs each property id in the before/after
snapshots with its name. Custom attributes have no stored display name: their id is the name.

Example:
    property_name("set", "bk_set_name")   # "集群名"
    property_name("set", "region")        # "region"
"""

from __future__ import annotations

_COMMON = {
    "bk_biz_id": "业务ID",
    "bk_set_id": "集群ID",
    "bk_module_id": "模块ID",
    "bk_host_id": "主机ID",
    "bk_parent_id": "父节点ID",
    "default": "默认",
    "create_time": "创建时间",
    "last_time": "更新时间",
}
_BY_OBJECT = {
    "biz": {
        "bk_biz_name": "业务名",
        "bk_biz_maintainer": "运维人员",
        "bk_biz_productor": "产品人员",
        "bk_biz_developer": "开发人员",
        "bk_biz_tester": "测试人员",
        "operator": "操作人员",
        "time_zone": "时区",
        "language": "语言",
        "life_cycle": "生命周期",
    },
    "set": {
        "bk_set_name": "集群名",
        "bk_set_desc": "集群描述",
        "bk_set_env": "环境类型",
        "bk_service_status": "服务状态",
        "bk_capacity": "设计容量",
        "description": "备注",
    },
    "module": {
        "bk_module_name": "模块名",
        "bk_module_type": "模块类型",
        "operator": "主要维护人",
        "bk_bak_operator": "备份维护人",
    },
    "host": {
        "bk_host_innerip": "内网IP",
        "bk_host_outerip": "外网IP",
        "bk_host_name": "主机名称",
        "bk_cloud_id": "所属云区域",
        "bk_os_type": "操作系统类型",
        "bk_os_name": "操作系统名称",
        "bk_os_version": "操作系统版本",
        "bk_cpu": "CPU逻辑核心数",
        "bk_mem": "内存容量(MB)",
        "bk_disk": "磁盘容量(GB)",
        "bk_sn": "设备SN",
        "operator": "主要维护人",
        "bk_bak_operator": "备份维护人",
        "bk_comment": "备注",
        "import_from": "录入方式",
    },
}


def property_name(obj_id: str, property_id: str) -> str:
    return _BY_OBJECT.get(obj_id, {}).get(property_id) or _COMMON.get(property_id) or property_id

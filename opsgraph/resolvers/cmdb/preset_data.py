"""The preset classifications, models, attribute groups, attributes, association kinds and model
associations every estate starts with (bk-cmdb release-v3.2.18
src/scene_server/admin_server/upgrader/v3.0.8/addPresetObjects.go, objAttDescData.go and
x18.10.30.01/association.go). Attribute lists keep upstream's ids, names, types and options; a few
agent-collected host fields upstream also presets are left to users to declare.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

MAINLINE_OBJECTS = ("biz", "set", "module", "host")
# Models whose instances live in their own tables (models/topology.py), not in cmdb_instance.
TABLE_BACKED_OBJECTS = frozenset({*MAINLINE_OBJECTS, "plat"})
PROCESS_OBJECT = "process"


@dataclass(frozen=True)
class PresetAttribute:
    property_id: str
    name: str
    property_type: str
    group: str = "default"
    required: bool = False
    unique: bool = False  # part of the model's preset unique rule
    editable: bool = True
    option: Any = None
    unit: str = ""
    placeholder: str = ""


@dataclass(frozen=True)
class PresetModel:
    obj_id: str
    name: str
    classification: str
    icon: str
    position: str = ""
    is_preset: bool = True
    groups: tuple[tuple[str, str], ...] = (("default", "基础信息"),)
    attributes: tuple[PresetAttribute, ...] = field(default_factory=tuple)


def _enum(*pairs: tuple[str, str], default: str | None = None) -> list[dict[str, Any]]:
    return [{"id": i, "name": n, "type": "text", "is_default": i == default} for i, n in pairs]


A = PresetAttribute
_OCTET = r"(25[0-5]|2[0-4]\d|1?\d?\d)"
_IP = rf"({_OCTET}\.){{3}}{_OCTET}"
_IP_LIST = rf"^{_IP}(,{_IP})*$"
_OPERATING = _enum(("1", "待运营"), ("2", "运营中"), ("3", "已下架"))

CLASSIFICATIONS: tuple[tuple[str, str, str], ...] = (
    ("bk_host_manage", "主机管理", "icon-cc-host"),
    ("bk_biz_topo", "业务拓扑", "icon-cc-business"),
    ("bk_organization", "组织架构", "icon-cc-organization"),
    ("bk_network", "网络", "icon-cc-network-equipment"),
    ("bk_middleware", "中间件", "icon-cc-middleware"),
)

_BIZ = (
    A("bk_biz_name", "业务名", "singlechar", required=True, unique=True),
    A("life_cycle", "生命周期", "enum", option=_enum(("1", "测试中"), ("2", "已上线"), ("3", "停运"), default="2")),
    A("bk_biz_maintainer", "运维人员", "objuser", group="role", required=True),
    A("bk_biz_productor", "产品人员", "objuser", group="role"),
    A("bk_biz_tester", "测试人员", "objuser", group="role"),
    A("bk_biz_developer", "开发人员", "objuser", group="role"),
    A("operator", "操作人员", "objuser", group="role"),
    A("time_zone", "时区", "timezone", required=True, editable=False),
    A("language", "语言", "enum", required=True, option=_enum(("1", "中文"), ("2", "English"), default="1")),
)
_SET = (
    A("bk_set_name", "集群名字", "singlechar", required=True),
    A("bk_set_desc", "集群描述", "singlechar"),
    A("bk_set_env", "环境类型", "enum", option=_enum(("1", "测试"), ("2", "体验"), ("3", "正式"), default="3")),
    A("bk_service_status", "服务状态", "enum", option=_enum(("1", "开放"), ("2", "关闭"), default="1")),
    A("description", "备注", "longchar"),
    A("bk_capacity", "设计容量", "int", option={"min": 1, "max": 999999999}),
)
_MODULE = (
    A("bk_module_name", "模块名", "singlechar", required=True),
    A("bk_module_type", "模块类型", "enum", option=_enum(("1", "普通"), ("2", "数据库"), default="1")),
    A("operator", "主要维护人", "objuser"),
    A("bk_bak_operator", "备份维护人", "objuser"),
)
_HOST = (
    A("bk_host_innerip", "内网IP", "singlechar", required=True, editable=False, option=_IP_LIST),
    A("bk_host_outerip", "外网IP", "singlechar", option=_IP_LIST),
    A("bk_cloud_id", "云区域", "int", editable=False),
    A("operator", "主要维护人", "objuser"),
    A("bk_bak_operator", "备份维护人", "objuser"),
    A("bk_asset_id", "固资编号", "singlechar"),
    A("bk_sn", "设备SN", "singlechar"),
    A("bk_comment", "备注", "longchar"),
    A("bk_service_term", "质保年限", "int", option={"min": 1, "max": 10}),
    A("bk_sla", "SLA级别", "enum", option=_enum(("1", "L1"), ("2", "L2"), ("3", "L3"))),
    A("bk_state_name", "所在国家", "singlechar"),
    A("bk_province_name", "所在省份", "singlechar"),
    A("bk_isp_name", "所属运营商", "enum", option=_enum(("0", "其它"), ("1", "电信"), ("2", "联通"), ("3", "移动"))),
    # Modern bk-cmdb's cloud-instance id; Huawei CES finds servers by it (compat_rest/huawei).
    A("bk_cloud_inst_id", "云主机实例ID", "singlechar"),
    A("bk_host_name", "主机名称", "singlechar", group="auto"),
    A("bk_os_type", "操作系统类型", "enum", group="auto", option=_enum(("1", "Linux"), ("2", "Windows"), ("3", "AIX"))),
    A("bk_os_name", "操作系统名称", "singlechar", group="auto"),
    A("bk_os_version", "操作系统版本", "singlechar", group="auto"),
    A("bk_os_bit", "操作系统位数", "singlechar", group="auto"),
    A("bk_cpu", "CPU逻辑核心数", "int", group="auto", option={"min": 1, "max": 1000000}),
    A("bk_cpu_mhz", "CPU频率", "int", group="auto", unit="Hz", option={"min": 1, "max": 100000000}),
    A("bk_cpu_module", "CPU型号", "singlechar", group="auto"),
    A("bk_mem", "内存容量", "int", group="auto", unit="MB", option={"min": 1, "max": 100000000}),
    A("bk_disk", "磁盘容量", "int", group="auto", unit="GB", option={"min": 1, "max": 100000000}),
    A("bk_mac", "内网MAC地址", "singlechar", group="auto"),
    A("bk_outer_mac", "外网MAC", "singlechar", group="auto"),
    A("import_from", "录入方式", "enum", editable=False, option=_enum(("1", "excel"), ("2", "agent"), ("3", "api"))),
)
_PLAT = (A("bk_cloud_name", "云区域", "singlechar", required=True, unique=True),)
_PROCESS = (
    A("bk_process_name", "进程名称", "singlechar", required=True, unique=True),
    A("description", "进程描述", "singlechar"),
    A(
        "bind_ip",
        "绑定IP",
        "enum",
        group="proc_port",
        option=_enum(("1", "127.0.0.1"), ("2", "0.0.0.0"), ("3", "第一内网IP"), ("4", "第一外网IP")),
    ),
    A("port", "端口", "singlechar", group="proc_port", placeholder="8080 / 8080-8089 / 8080-8089,8199"),
    A("protocol", "协议", "enum", group="proc_port", option=_enum(("1", "TCP"), ("2", "UDP"))),
    A("bk_func_id", "功能ID", "singlechar", group="none"),
    A("bk_func_name", "功能名称", "singlechar", group="none"),
    A("work_path", "工作路径", "longchar", group="none"),
    A("user", "启动用户", "singlechar", group="none"),
    A("proc_num", "启动数量", "int", group="none", option={"min": 1, "max": 10000}),
    A("priority", "启动优先级", "int", group="none", option={"min": 1, "max": 10000}),
    A("timeout", "操作超时时长", "int", group="none", option={"min": 1, "max": 10000}),
    A("start_cmd", "启动命令", "longchar", group="none"),
    A("stop_cmd", "停止命令", "longchar", group="none"),
    A("restart_cmd", "重启命令", "longchar", group="none"),
    A("face_stop_cmd", "强制停止命令", "longchar", group="none"),
    A("reload_cmd", "进程重载命令", "longchar", group="none"),
    A("pid_file", "PID文件路径", "longchar", group="none"),
    A("auto_start", "是否自动拉起", "bool", group="none"),
    A("auto_time_gap", "拉起间隔", "int", group="none", option={"min": 1, "max": 10000}),
)


def _device() -> tuple[PresetAttribute, ...]:
    """bk_switch, bk_router, bk_load_balance and bk_firewall share one attribute list."""
    return (
        A("bk_asset_id", "固资编号", "singlechar", required=True, unique=True, editable=False),
        A("bk_inst_name", "名称", "singlechar", required=True),
        A("bk_sn", "SN", "singlechar"),
        A("bk_func", "用途", "singlechar"),
        A("bk_vendor", "厂商", "singlechar"),
        A("bk_model", "设备型号", "singlechar"),
        A("bk_admin_ip", "管理IP", "singlechar", option=_IP_LIST),
        A("bk_operator", "维护人", "singlechar"),
        A("bk_os_detail", "操作系统详情", "singlechar"),
        A("bk_detail", "详细描述", "longchar"),
        A("bk_biz_status", "运营状态", "enum", option=_OPERATING),
    )


def _middleware(*extra: PresetAttribute) -> tuple[PresetAttribute, ...]:
    """bk_weblogic, bk_tomcat and bk_apache share these, each with a few of its own."""
    return (
        A("bk_inst_key", "中间件标识", "singlechar", required=True, unique=True, editable=False),
        A("bk_inst_name", "名称", "singlechar", required=True),
        A("bk_version", "版本", "longchar"),
        A("bk_patch_version", "补丁版本", "longchar"),
        A("bk_main_path", "主目录", "longchar"),
        A("bk_log_path", "日志路径", "longchar"),
        A("bk_vendor", "厂商", "singlechar"),
        A("bk_ip", "IP地址", "singlechar", option=_IP_LIST),
        A("bk_port", "端口", "singlechar"),
        A("bk_detail", "详细描述", "longchar"),
        *extra,
    )


MODELS: tuple[PresetModel, ...] = (
    PresetModel(
        "biz",
        "业务",
        "bk_organization",
        "icon-cc-business",
        '{"bk_organization":{"x":-100,"y":-100}}',
        groups=(("default", "基础信息"), ("role", "角色")),
        attributes=_BIZ,
    ),
    PresetModel("set", "集群", "bk_biz_topo", "icon-cc-set", attributes=_SET),
    PresetModel("module", "模块", "bk_biz_topo", "icon-cc-module", attributes=_MODULE),
    PresetModel(
        "host",
        "主机",
        "bk_host_manage",
        "icon-cc-host",
        '{"bk_host_manage":{"x":-600,"y":-650}}',
        groups=(("default", "基础信息"), ("auto", "自动发现信息（需要安装agent）")),
        attributes=_HOST,
    ),
    PresetModel(
        "process",
        "进程",
        "bk_host_manage",
        "icon-cc-process",
        '{"bk_host_manage":{"x":-450,"y":-650}}',
        groups=(("default", "基础信息"), ("proc_port", "监听端口"), ("none", "更多属性")),
        attributes=_PROCESS,
    ),
    PresetModel(
        "plat", "云区域", "bk_host_manage", "icon-cc-subnet", '{"bk_host_manage":{"x":-600,"y":-500}}', attributes=_PLAT
    ),
    PresetModel("bk_switch", "交换机", "bk_network", "icon-cc-switch2", is_preset=False, attributes=_device()),
    PresetModel("bk_router", "路由器", "bk_network", "icon-cc-router", is_preset=False, attributes=_device()),
    PresetModel("bk_load_balance", "负载均衡", "bk_network", "icon-cc-balance", is_preset=False, attributes=_device()),
    PresetModel("bk_firewall", "防火墙", "bk_network", "icon-cc-firewall", is_preset=False, attributes=_device()),
    PresetModel(
        "bk_weblogic",
        "weblogic",
        "bk_middleware",
        "icon-cc-weblogic",
        is_preset=False,
        attributes=_middleware(A("bk_jdk_version", "JDK版本", "longchar")),
    ),
    PresetModel(
        "bk_apache",
        "apache",
        "bk_middleware",
        "icon-cc-apache",
        is_preset=False,
        attributes=_middleware(
            A("bk_max_connect", "最大连接请求数", "int"), A("bk_max_keepalive", "最大keepAlive请求数", "int")
        ),
    ),
    PresetModel(
        "bk_tomcat",
        "tomcat",
        "bk_middleware",
        "icon-cc-tomcat",
        is_preset=False,
        attributes=_middleware(A("bk_jdk_version", "JDK版本", "longchar")),
    ),
)

# (bk_asst_id, name, src→dest, dest→src); all preset, direction src_to_dest (upstream's
# DestinationToSource constant, which holds "src_to_dest").
ASSOCIATION_KINDS: tuple[tuple[str, str, str, str], ...] = (
    ("belong", "", "属于", "包含"),
    ("group", "", "组成", "组成于"),
    ("bk_mainline", "", "组成", "组成于"),
    ("run", "", "运行于", "运行"),
    ("connect", "", "上联", "下联"),
    ("default", "默认关联", "关联", "被关联"),
)
MAINLINE_KIND = "bk_mainline"

# (source, kind, target, mapping): the mainline chain and v3.2's cloud-area link, as x18.10.30.01
# rewrote them. Their instance links are the topology itself, so no instance row is ever added.
MODEL_ASSOCIATIONS: tuple[tuple[str, str, str, str], ...] = (
    ("set", MAINLINE_KIND, "biz", "1:n"),
    ("module", MAINLINE_KIND, "set", "1:n"),
    ("host", MAINLINE_KIND, "module", "n:n"),
    ("plat", "default", "host", "1:n"),
)

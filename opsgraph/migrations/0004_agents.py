from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from opsgraph.models.agents import AgentNodeType, AgentStatus
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('opsgraph', '0003_host_phase')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AgentState',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('host', fields.OneToOneField('opsgraph.Host', source_field='host_id', db_constraint=True, to_field='id', related_name='agent', on_delete=OnDelete.CASCADE)),
                ('node_type', fields.CharEnumField(default=AgentNodeType.AGENT, description='AGENT: AGENT\nPROXY: PROXY\nPAGENT: PAGENT', enum_type=AgentNodeType, max_length=8)),
                ('cloud_area_id', fields.IntField(default=0, db_index=True)),
                ('status', fields.CharEnumField(default=AgentStatus.INSTALLING, description='INSTALLING: INSTALLING\nINSTALLED: INSTALLED\nINSTALL_FAILED: INSTALL_FAILED\nUNINSTALLED: UNINSTALLED', enum_type=AgentStatus, max_length=16)),
                ('token_secret', fields.TextField(default='', unique=False)),
                ('token_hash', fields.CharField(default='', max_length=64)),
                ('token_issued_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('login', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('install_dir', fields.CharField(default='', max_length=1024)),
                ('version', fields.CharField(default='', max_length=64)),
                ('hostname', fields.CharField(default='', max_length=256)),
                ('os', fields.CharField(default='', max_length=256)),
                ('kernel', fields.CharField(default='', max_length=256)),
                ('uptime', fields.FloatField(null=True)),
                ('load', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('last_heartbeat_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_seen_ms', fields.BigIntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'agent_state', 'app': 'opsgraph', 'pk_attr': 'id', 'table_description': 'The OpsGraph agent of one host, its token and its last heartbeat.'},
            bases=['Model'],
        ),
    ]

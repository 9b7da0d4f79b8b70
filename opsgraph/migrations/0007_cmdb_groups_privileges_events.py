from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from opsgraph.models.cmdb_events import DeliveryStatus
from opsgraph.models.identity import RoleName
from opsgraph.models.messaging import ChannelKind, DeliveryStatus, MessageStatus, ReceiverRole
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('opsgraph', '0006_user_token_generation')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CmdbEvent',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('event_type', fields.CharField(max_length=16)),
                ('obj_type', fields.CharField(max_length=128)),
                ('action', fields.CharField(max_length=16)),
                ('business_id', fields.IntField(null=True)),
                ('cur_data', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('pre_data', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('update_fields', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('deleted_fields', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('operator', fields.CharField(default='', max_length=128)),
                ('action_time', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('dispatched', fields.BooleanField(default=False, db_index=True)),
            ],
            options={'table': 'cmdb_event', 'app': 'opsgraph', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DynamicGroup',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('bk_id', fields.CharField(unique=True, max_length=32)),
                ('business', fields.ForeignKeyField('opsgraph.Business', source_field='business_id', db_constraint=True, to_field='id', related_name='dynamic_groups', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=256)),
                ('info', fields.TextField(unique=False)),
                ('create_user', fields.CharField(default='', max_length=128)),
                ('modify_user', fields.CharField(default='', max_length=128)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'dynamic_group', 'app': 'opsgraph', 'unique_together': (('business', 'name'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='EventSubscription',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('business_id', fields.IntField(default=0)),
                ('name', fields.CharField(max_length=256)),
                ('system_name', fields.CharField(default='', max_length=256)),
                ('callback_url', fields.CharField(max_length=1024)),
                ('confirm_mode', fields.CharField(max_length=16)),
                ('confirm_pattern', fields.CharField(default='', max_length=1024)),
                ('timeout_seconds', fields.IntField(default=10)),
                ('subscription_form', fields.TextField(unique=False)),
                ('operator', fields.CharField(default='', max_length=128)),
                ('app_code', fields.CharField(default='', max_length=128)),
                ('secret_encrypted', fields.TextField(default='', unique=False)),
                ('since_event_id', fields.IntField(default=0)),
                ('total', fields.BigIntField(default=0)),
                ('failure', fields.BigIntField(default=0)),
                ('delivered', fields.BigIntField(default=0)),
                ('given_up', fields.BigIntField(default=0)),
                ('last_error', fields.TextField(default='', unique=False)),
                ('last_delivered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'event_subscription', 'app': 'opsgraph', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='EventDelivery',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('subscription', fields.ForeignKeyField('opsgraph.EventSubscription', source_field='subscription_id', db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.CASCADE)),
                ('event', fields.ForeignKeyField('opsgraph.CmdbEvent', source_field='event_id', db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.CASCADE)),
                ('status', fields.CharEnumField(default=DeliveryStatus.PENDING, description='PENDING: PENDING\nDELIVERED: DELIVERED\nFAILED: FAILED', enum_type=DeliveryStatus, max_length=16)),
                ('attempts', fields.IntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_error', fields.TextField(default='', unique=False)),
                ('delivered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'event_delivery', 'app': 'opsgraph', 'unique_together': (('subscription', 'event'),), 'indexes': [Index(fields=['subscription_id', 'status', 'next_attempt_at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Message',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('channel', fields.CharEnumField(description='MAIL: mail\nSMS: sms\nWEIXIN: weixin\nVOICE: voice', enum_type=ChannelKind, max_length=16)),
                ('business_id', fields.IntField(null=True, db_index=True)),
                ('requested_by', fields.CharField(db_index=True, max_length=128)),
                ('app_code', fields.CharField(default='', max_length=128)),
                ('origin', fields.CharField(default='', max_length=64)),
                ('title', fields.CharField(default='', max_length=512)),
                ('content', fields.TextField(unique=False)),
                ('body_format', fields.CharField(default='html', max_length=8)),
                ('from_address', fields.CharField(default='', max_length=254)),
                ('extra', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('attachments', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('attachment_summary', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('status', fields.CharEnumField(default=MessageStatus.PENDING, db_index=True, description='PENDING: PENDING\nSENT: SENT\nPARTIAL: PARTIAL\nFAILED: FAILED', enum_type=MessageStatus, max_length=16)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'message', 'app': 'opsgraph', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MessageChannel',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('kind', fields.CharEnumField(unique=True, description='MAIL: mail\nSMS: sms\nWEIXIN: weixin\nVOICE: voice', enum_type=ChannelKind, max_length=16)),
                ('enabled', fields.BooleanField(default=True)),
                ('settings', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('secret_encrypted', fields.TextField(default='', unique=False)),
                ('updated_by', fields.CharField(default='', max_length=128)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'message_channel', 'app': 'opsgraph', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MessageDelivery',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('message', fields.ForeignKeyField('opsgraph.Message', source_field='message_id', db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.CASCADE)),
                ('receiver', fields.CharField(max_length=320)),
                ('username', fields.CharField(default='', max_length=128)),
                ('address', fields.CharField(default='', max_length=320)),
                ('role', fields.CharEnumField(default=ReceiverRole.TO, description='TO: to\nCC: cc', enum_type=ReceiverRole, max_length=4)),
                ('status', fields.CharEnumField(default=DeliveryStatus.PENDING, description='PENDING: PENDING\nSENDING: SENDING\nSENT: SENT\nFAILED: FAILED\nREJECTED: REJECTED', enum_type=DeliveryStatus, max_length=16)),
                ('attempts', fields.IntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('claimed_by', fields.CharField(default='', max_length=64)),
                ('lease_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_error', fields.CharField(default='', max_length=1024)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'message_delivery', 'app': 'opsgraph', 'indexes': [Index(fields=['status', 'next_attempt_at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RolePrivilege',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('role', fields.CharEnumField(unique=True, description='MAINTAINER: maintainer\nOPERATOR: operator\nVIEWER: viewer', enum_type=RoleName, max_length=16)),
                ('functions', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'role_privilege', 'app': 'opsgraph', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='UserGroup',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('group_id', fields.CharField(unique=True, max_length=64)),
                ('name', fields.CharField(unique=True, max_length=128)),
                ('is_default', fields.BooleanField(default=False)),
                ('unrestricted', fields.BooleanField(default=False)),
                ('model_config', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('sys_config', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'user_group', 'app': 'opsgraph', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='UserGroupMember',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('group', fields.ForeignKeyField('opsgraph.UserGroup', source_field='group_id', db_constraint=True, to_field='id', related_name='members', on_delete=OnDelete.CASCADE)),
                ('username', fields.CharField(db_index=True, max_length=128)),
            ],
            options={'table': 'user_group_member', 'app': 'opsgraph', 'unique_together': (('group', 'username'),), 'pk_attr': 'id', 'table_description': "By name, as bk's `user_list` gives them: a name may be listed before its user exists."},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='App',
            name='creator',
            field=fields.CharField(default='', db_default='', max_length=128),
        ),
        ops.AddField(
            model_name='App',
            name='developers',
            field=fields.CharField(default='', db_default='', max_length=2048),
        ),
        ops.AddField(
            model_name='App',
            name='introduction',
            field=fields.TextField(default='', db_default='', unique=False),
        ),
        ops.AddField(
            model_name='App',
            name='name',
            field=fields.CharField(default='', db_default='', max_length=128),
        ),
        ops.AddField(
            model_name='User',
            name='display_name',
            field=fields.CharField(default='', db_default='', max_length=128),
        ),
        ops.AddField(
            model_name='User',
            name='email',
            field=fields.CharField(default='', db_default='', max_length=254),
        ),
        ops.AddField(
            model_name='User',
            name='language',
            field=fields.CharField(default='en', db_default='en', max_length=16),
        ),
        ops.AddField(
            model_name='User',
            name='phone',
            field=fields.CharField(default='', db_default='', max_length=32),
        ),
        ops.AddField(
            model_name='User',
            name='platform_role',
            field=fields.SmallIntField(default=0, db_default=0),
        ),
        ops.AddField(
            model_name='User',
            name='time_zone',
            field=fields.CharField(default='UTC', db_default='UTC', max_length=64),
        ),
        ops.AddField(
            model_name='User',
            name='wx_userid',
            field=fields.CharField(default='', db_default='', max_length=128),
        ),
    ]

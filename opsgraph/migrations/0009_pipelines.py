from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('opsgraph', '0008_itsm_tickets')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PipelineTemplate',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('business', fields.ForeignKeyField('opsgraph.Business', source_field='business_id', null=True, db_constraint=True, to_field='id', related_name='pipeline_templates', on_delete=OnDelete.CASCADE)),
                ('is_common', fields.BooleanField(default=False, db_index=True)),
                ('name', fields.CharField(max_length=256)),
                ('category', fields.CharField(default='Other', max_length=32)),
                ('description', fields.CharField(default='', max_length=1024)),
                ('version', fields.IntField(default=1)),
                ('digest', fields.CharField(default='', max_length=32)),
                ('created_by', fields.CharField(default='', max_length=128)),
                ('updated_by', fields.CharField(default='', max_length=128)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'pipeline_template', 'app': 'opsgraph', 'pk_attr': 'id', 'table_description': 'A flow template of a business, or a common (cross-business) one when `business` is null.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PeriodicTask',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('business', fields.ForeignKeyField('opsgraph.Business', source_field='business_id', db_constraint=True, to_field='id', related_name='periodic_tasks', on_delete=OnDelete.CASCADE)),
                ('template', fields.ForeignKeyField('opsgraph.PipelineTemplate', source_field='template_id', db_constraint=True, to_field='id', related_name='periodic_tasks', on_delete=OnDelete.CASCADE)),
                ('template_version', fields.IntField(default=1)),
                ('name', fields.CharField(max_length=256)),
                ('cron', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('expression', fields.CharField(max_length=128)),
                ('enabled', fields.BooleanField(default=False)),
                ('tree', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('total_run_count', fields.IntField(default=0)),
                ('last_run_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('next_run_at', fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False)),
                ('created_by', fields.CharField(default='', max_length=128)),
                ('updated_by', fields.CharField(default='', max_length=128)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'periodic_task', 'app': 'opsgraph', 'pk_attr': 'id', 'table_description': 'A schedule that creates and starts a run. Created disabled, as bk-sops (celery beat) does.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PipelineRun',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('task', fields.OneToOneField('opsgraph.Task', source_field='task_id', db_constraint=True, to_field='id', related_name='pipeline_run', on_delete=OnDelete.CASCADE)),
                ('template', fields.ForeignKeyField('opsgraph.PipelineTemplate', source_field='template_id', null=True, db_constraint=True, to_field='id', related_name='runs', on_delete=OnDelete.SET_NULL)),
                ('template_version', fields.IntField(default=1)),
                ('template_source', fields.CharField(default='business', max_length=16)),
                ('periodic_task', fields.ForeignKeyField('opsgraph.PeriodicTask', source_field='periodic_task_id', null=True, db_constraint=True, to_field='id', related_name='runs', on_delete=OnDelete.SET_NULL)),
                ('category', fields.CharField(default='Other', max_length=32)),
                ('flow_type', fields.CharField(default='common', max_length=16)),
                ('create_method', fields.CharField(default='api', max_length=16)),
                ('executor', fields.CharField(default='', max_length=128)),
                ('root_state', fields.CharField(default='CREATED', db_index=True, max_length=16)),
                ('is_started', fields.BooleanField(default=False)),
                ('is_finished', fields.BooleanField(default=False)),
                ('tree', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('node_map', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
            ],
            options={'table': 'pipeline_run', 'app': 'opsgraph', 'pk_attr': 'id', 'table_description': 'What a PIPELINE task has beyond the Task: its tree, the template version and the root state.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PipelineTemplateVersion',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('template', fields.ForeignKeyField('opsgraph.PipelineTemplate', source_field='template_id', db_constraint=True, to_field='id', related_name='versions', on_delete=OnDelete.CASCADE)),
                ('version', fields.IntField()),
                ('digest', fields.CharField(max_length=32)),
                ('tree', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_by', fields.CharField(default='', max_length=128)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'pipeline_template_version', 'app': 'opsgraph', 'unique_together': (('template', 'version'),), 'pk_attr': 'id', 'table_description': 'Trees are immutable: an edit adds a version, and a run pins the version it started from.'},
            bases=['Model'],
        ),
    ]

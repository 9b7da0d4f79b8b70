from tortoise import migrations
from tortoise.migrations import operations as ops
from opsgraph.models.tasks import EventKind
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('opsgraph', '0002_jobs_and_tasks')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='TaskEvent',
            name='kind',
            field=fields.CharEnumField(description='TASK_STATUS: TASK_STATUS\nSTEP_STATUS: STEP_STATUS\nHOST_STATUS: HOST_STATUS\nHOST_PHASE: HOST_PHASE\nLOG: LOG', enum_type=EventKind, max_length=16),
        ),
        ops.AddField(
            model_name='TaskHostResult',
            name='phase',
            field=fields.CharField(default='', max_length=64),
        ),
    ]

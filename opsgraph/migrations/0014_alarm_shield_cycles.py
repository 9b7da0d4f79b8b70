from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('opsgraph', '0013_scaleout_leases')]

    initial = False

    operations = [
        ops.AddField(
            model_name='AlarmShield',
            name='cycle_config',
            field=fields.JSONField(default=dict),
        ),
    ]

from tortoise import migrations
from tortoise.migrations import operations as ops

class Migration(migrations.Migration):
    dependencies = [('opsgraph', '0014_alarm_shield_cycles')]

    initial = False

    operations = [
        ops.RemoveField(model_name='TreeTask', name='decisions'),
        ops.AlterModelOptions(
            name='TreeTask',
            options={'table': 'tree_task', 'app': 'opsgraph', 'pk_attr': 'id', 'table_description': 'One OpenC3 task (a run): `uuid` is what clients poll. What an operator decided about a'},
        ),
    ]

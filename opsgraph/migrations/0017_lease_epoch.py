from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('opsgraph', '0016_model_descriptions')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Lease',
            name='epoch',
            field=fields.BigIntField(default=0),
        ),
    ]

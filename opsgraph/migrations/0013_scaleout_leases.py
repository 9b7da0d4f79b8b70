from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('opsgraph', '0012_service_tree')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Lease',
            fields=[
                ('name', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=191)),
                ('holder', fields.CharField(default='', max_length=191)),
                ('expires_at', fields.FloatField(default=0.0, db_index=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'lease', 'app': 'opsgraph', 'pk_attr': 'name'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RemoteProcess',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('task_id', fields.IntField(db_index=True)),
                ('step_id', fields.IntField()),
                ('result_id', fields.IntField(db_index=True)),
                ('address', fields.CharField(max_length=128)),
                ('port', fields.IntField(default=22)),
                ('pgid', fields.IntField()),
                ('token', fields.CharField(max_length=64)),
                ('holder', fields.CharField(default='', max_length=191)),
                ('started_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'remote_process', 'app': 'opsgraph', 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]

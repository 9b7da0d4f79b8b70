from tortoise import migrations
from tortoise.migrations import operations as ops
from opsgraph.models.security import FindingSeverity
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('opsgraph', '0004_agents')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AccessKey',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('access_key', fields.CharField(unique=True, max_length=64)),
                ('secret_encrypted', fields.TextField(unique=False)),
                ('project_id', fields.CharField(db_index=True, max_length=64)),
                ('business', fields.ForeignKeyField('opsgraph.Business', source_field='business_id', null=True, db_constraint=True, to_field='id', related_name='access_keys', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('opsgraph.User', source_field='user_id', db_constraint=True, to_field='id', related_name='access_keys', on_delete=OnDelete.CASCADE)),
                ('is_active', fields.BooleanField(default=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'access_key', 'app': 'opsgraph', 'pk_attr': 'id', 'table_description': 'A Huawei Cloud style AK/SK pair: requests signed with the secret act as `user` in `project_id`.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ScanFile',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('business', fields.ForeignKeyField('opsgraph.Business', source_field='business_id', db_constraint=True, to_field='id', related_name='scan_files', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=256)),
                ('file_type', fields.CharField(default='', max_length=16)),
                ('content', fields.TextField(unique=False)),
                ('size', fields.IntField()),
                ('sha256', fields.CharField(max_length=64)),
                ('created_by', fields.CharField(max_length=128)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'scan_file', 'app': 'opsgraph', 'pk_attr': 'id', 'table_description': 'A Dockerfile or Kubernetes manifest uploaded for an IaC scan (UTF-8 text, size-capped).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SecurityFinding',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('task', fields.ForeignKeyField('opsgraph.Task', source_field='task_id', db_constraint=True, to_field='id', related_name='findings', on_delete=OnDelete.CASCADE)),
                ('host', fields.ForeignKeyField('opsgraph.Host', source_field='host_id', null=True, db_constraint=True, to_field='id', related_name='security_findings', on_delete=OnDelete.SET_NULL)),
                ('file', fields.ForeignKeyField('opsgraph.ScanFile', source_field='file_id', null=True, db_constraint=True, to_field='id', related_name='findings', on_delete=OnDelete.SET_NULL)),
                ('target', fields.CharField(max_length=256)),
                ('rule_id', fields.CharField(db_index=True, max_length=64)),
                ('category', fields.CharField(max_length=32)),
                ('severity', fields.CharEnumField(description='HIGH: HIGH\nMEDIUM: MEDIUM\nLOW: LOW', enum_type=FindingSeverity, max_length=8)),
                ('title', fields.CharField(max_length=256)),
                ('evidence', fields.TextField(default='', unique=False)),
                ('passed', fields.BooleanField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'security_finding', 'app': 'opsgraph', 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]

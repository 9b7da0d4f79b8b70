from tortoise import migrations
from tortoise.migrations import operations as ops
from opsgraph.models.tickets import NodeStatus, StateType
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('opsgraph', '0015_tree_task_no_decisions')]

    initial = False

    operations = [
        ops.AlterModelOptions(
            name='AlarmShield',
            options={'table': 'alarm_shield', 'app': 'opsgraph', 'pk_attr': 'id', 'table_description': 'A time-boxed silence: alarms it matches are not notified while it is in force.'},
        ),
        ops.AlterModelOptions(
            name='MonitorState',
            options={'table': 'monitor_state', 'app': 'opsgraph', 'pk_attr': 'name', 'table_description': 'Named watermarks: how far the roll-up or the failed-task scan got. `holder` and `expires_at`'},
        ),
        ops.AlterField(
            model_name='TicketNode',
            name='status',
            field=fields.CharEnumField(default=NodeStatus.RUNNING, description='WAIT: WAIT\nRUNNING: RUNNING\nRECEIVING: RECEIVING\nDISTRIBUTING: DISTRIBUTING\nFINISHED: FINISHED\nTERMINATED: TERMINATED\nFAILED: FAILED', enum_type=NodeStatus, max_length=16),
        ),
        ops.AlterField(
            model_name='TicketNode',
            name='type',
            field=fields.CharEnumField(description='START: START\nNORMAL: NORMAL\nAPPROVAL: APPROVAL\nSIGN: SIGN\nPARALLEL: PARALLEL\nCONVERGE: CONVERGE\nEND: END', enum_type=StateType, max_length=16),
        ),
    ]

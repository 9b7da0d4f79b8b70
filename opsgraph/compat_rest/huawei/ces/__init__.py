"""Huawei Cloud Eye (CES): agent maintenance tasks (`agent-invocations/batch-create`) on the OpsGraph agent."""

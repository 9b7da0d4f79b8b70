from tests.support.server import GraphQLClient


def test_me_is_the_superuser(gql: GraphQLClient) -> None:
    assert gql.ok("{ me { username isSuperuser } }") == {"me": {"username": "admin", "isSuperuser": True}}

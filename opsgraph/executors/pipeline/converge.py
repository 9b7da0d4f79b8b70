"""Each parallel (or conditional-parallel) gateway's converge gateway, found by walking its branches.

Every branch must meet ONE converge gateway before the end, the same one for all branches, which
receives all of them; a converge closes at most one parallel gateway. Refusals are `TreeError`s
naming the gateway (or the converge) at fault. bamboo does this in validator/gateway.py with
distances and blocks; this walk reaches the same verdicts on the trees bk-sops produces.
"""

from __future__ import annotations

from opsgraph.executors.pipeline.tree import CONVERGE, END, EXCLUSIVE, FORKING_TYPES, Graph, Node, TreeError

_LOOP = "<loop>"


def converge_of(graph: Graph) -> dict[str, str]:
    """parallel / conditional-parallel gateway id → its converge gateway id (raises when missing)."""
    matcher = _ConvergeMatcher(graph)
    matched = {node.id: matcher.match(node) for node in graph.nodes.values() if node.type in FORKING_TYPES}
    owners: dict[str, str] = {}
    for gateway_id, converge_id in matched.items():
        if converge_id in owners:
            raise TreeError(
                f"converge gateway {graph.nodes[converge_id].label} closes two parallel gateways "
                f"({graph.nodes[owners[converge_id]].label} and {graph.nodes[gateway_id].label})",
                converge_id,
            )
        owners[converge_id] = gateway_id
    return matched


class _ConvergeMatcher:
    """Walks each branch of a parallel gateway to the first converge gateway it meets.

    Nested parallel gateways are stepped over (from their own converge on); an exclusive gateway
    whose branches all come together at one converge is stepped over the same way, otherwise its
    branches' ends count as the branch's ends. Results per node are memoised, so shared paths are
    walked once; a node met again on the way is a loop and ends that path.
    """

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.matched: dict[str, str] = {}
        self.walked: dict[str, frozenset[tuple[str, str]]] = {}
        self.in_progress: set[str] = set()

    def match(self, gateway: Node) -> str:
        if gateway.id in self.matched:
            return self.matched[gateway.id]
        found: set[str] = set()
        for flow_id, target in self.graph.targets(gateway.id):
            ends = {end for end in self._walk(target, flow_id) if end[0] != _LOOP}
            converges = {node for node, _ in ends if node != END}
            if not converges or any(node == END for node, _ in ends):
                raise TreeError(
                    f"parallel gateway {gateway.label}: the branch through flow {flow_id} does not reach a "
                    f"converge gateway before the end",
                    gateway.id,
                )
            if len(converges) > 1:
                labels = ", ".join(sorted(self.graph.nodes[c].label for c in converges))
                raise TreeError(
                    f"parallel gateway {gateway.label}: the branch through flow {flow_id} meets several "
                    f"converge gateways ({labels}); every branch must meet the same one",
                    gateway.id,
                )
            found |= converges
        if len(found) != 1:
            labels = ", ".join(sorted(self.graph.nodes[c].label for c in found))
            raise TreeError(
                f"parallel gateway {gateway.label}: its branches meet different converge gateways ({labels})",
                gateway.id,
            )
        converge = found.pop()
        if len(self.graph.nodes[converge].incoming) < len(gateway.outgoing):
            raise TreeError(
                f"converge gateway {self.graph.nodes[converge].label} does not receive every branch of parallel "
                f"gateway {gateway.label} (branches join earlier)",
                converge,
            )
        self.matched[gateway.id] = converge
        return converge

    def _walk(self, node_id: str, via: str) -> frozenset[tuple[str, str]]:
        """Where a path entering `node_id` through flow `via` ends: (converge id, entering flow),
        (END, via) or (_LOOP, via). Straight runs of activities are followed in a loop, so a long
        branch costs no recursion; only nested gateways recurse."""
        chain: list[str] = []
        while True:
            node = self.graph.nodes[node_id]
            if node.type == CONVERGE:
                result = frozenset({(node_id, via)})
                break
            if node.type == END:
                result = frozenset({(END, via)})
                break
            if node_id in self.walked:
                result = self.walked[node_id]
                break
            if node_id in self.in_progress:
                result = frozenset({(_LOOP, via)})
                break
            self.in_progress.add(node_id)
            chain.append(node_id)
            if node.type in FORKING_TYPES or node.type == EXCLUSIVE:
                result = self._walk_gateway(node)
                break
            via = node.outgoing[0]
            node_id = self.graph.flows[via].target
        for walked in chain:
            self.in_progress.discard(walked)
            self.walked[walked] = result
        return result

    def _walk_gateway(self, node: Node) -> frozenset[tuple[str, str]]:
        if node.type in FORKING_TYPES:
            return self._walk_on(self.match(node))
        ends: set[tuple[str, str]] = set()
        for flow_id, target in self.graph.targets(node.id):
            ends |= self._walk(target, flow_id)
        arrivals = {(target, flow) for target, flow in ends if target not in (END, _LOOP)}
        converges = {target for target, _ in arrivals}
        if len(converges) == 1 and not any(end[0] == END for end in ends):
            converge = next(iter(converges))
            if {flow for _, flow in arrivals} == set(self.graph.nodes[converge].incoming):
                return self._walk_on(converge)  # the exclusive gateway's own converge
        return frozenset(ends)

    def _walk_on(self, converge: str) -> frozenset[tuple[str, str]]:
        flow_id = self.graph.nodes[converge].outgoing[0]
        return self._walk(self.graph.flows[flow_id].target, flow_id)

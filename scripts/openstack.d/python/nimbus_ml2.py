"""A test-only ML2 mechanism driver for scripts/openstack.

There is no data plane in the test stack (no Open vSwitch, no agents), and without a
mechanism driver that binds ports every server boot fails with PortBindingFailed. This
driver binds the first segment offered with VIF_TYPE_OTHER and marks the port ACTIVE, so
Nova's fake virt driver can "plug" it. Security groups are stored and validated by Neutron,
not enforced. Never use it outside tests.
"""
from neutron_lib import constants
from neutron_lib.api.definitions import portbindings
from neutron_lib.plugins.ml2 import api


class NimbusTestMechanismDriver(api.MechanismDriver):
    def initialize(self):
        pass

    @property
    def connectivity(self):
        return portbindings.CONNECTIVITY_L2

    def bind_port(self, context):
        for segment in context.segments_to_bind:
            context.set_binding(segment[api.ID], portbindings.VIF_TYPE_OTHER,
                                {portbindings.CAP_PORT_FILTER: True},
                                status=constants.PORT_STATUS_ACTIVE)
            return

"""Idempotent set-up of the test cloud through the APIs (one process instead of dozens of
`openstack` CLI calls), run by scripts/openstack start.

    bootstrap.py identity   service project and users, the test project and user, catalog
    bootstrap.py resources  flavors and a tiny raw image (needs Nova and Glance up)
    bootstrap.py tempurl    the TempURL key of the test project's Swift account

Settings come from the environment (see scripts/openstack).
"""
import os
import sys

import openstack

E = os.environ
REGION = "RegionOne"


def admin():
    return openstack.connect(
        auth_url=E["OSX_AUTH_URL"], username="admin", password=E["OSX_ADMIN_PASSWORD"],
        project_name="admin", user_domain_name="Default", project_domain_name="Default",
        region_name=REGION, identity_api_version="3")


def project(idc, name, description):
    p = idc.find_project(name, domain_id="default")
    return p or idc.create_project(name=name, domain_id="default", description=description)


def user(idc, name, password, proj, role):
    u = idc.find_user(name, domain_id="default")
    if u is None:
        u = idc.create_user(name=name, password=password, domain_id="default",
                            default_project_id=proj.id)
    else:  # the password may have changed since the database was made
        idc.update_user(u, password=password)
    idc.assign_project_role_to_user(proj, u, role)
    return u


def service(idc, name, typ, url):
    s = next(iter(idc.services(type=typ)), None) or idc.create_service(
        name=name, type=typ, description=name, is_enabled=True)
    for iface in ("public", "internal", "admin"):
        existing = [e for e in idc.endpoints(service_id=s.id, interface=iface)]
        if existing and existing[0].url == url:
            continue
        for e in existing:
            idc.delete_endpoint(e)
        idc.create_endpoint(service_id=s.id, interface=iface, url=url, region_id=REGION)


def identity():
    conn = admin()
    idc = conn.identity
    admin_role = idc.find_role("admin")
    member = idc.find_role("member") or idc.create_role(name="member")
    reader = idc.find_role("reader") or idc.create_role(name="reader")
    svc = project(idc, "service", "OpenStack services")
    for name in ("nova", "neutron", "glance", "placement", "swift"):
        user(idc, name, E["OSX_SERVICE_PASSWORD"], svc, admin_role)
        # Nova's service token needs the service role in recent policies.
        svc_role = idc.find_role("service") or idc.create_role(name="service")
        u = idc.find_user(name, domain_id="default")
        idc.assign_project_role_to_user(svc, u, svc_role)
    test = project(idc, E["OSX_PROJECT"], "Nimbus tests")
    u = user(idc, E["OSX_USER"], E["OSX_PASSWORD"], test, member)
    idc.assign_project_role_to_user(test, u, reader)
    h = "http://127.0.0.1:"
    service(idc, "nova", "compute", h + E["OSX_P_NOVA"] + "/v2.1")
    service(idc, "neutron", "network", h + E["OSX_P_NEUTRON"])
    service(idc, "glance", "image", h + E["OSX_P_GLANCE"])
    service(idc, "placement", "placement", h + E["OSX_P_PLACEMENT"])
    service(idc, "swift", "object-store", h + E["OSX_P_SWIFT"] + "/v1/AUTH_%(project_id)s")


def resources():
    conn = admin()
    flavors = {f.name for f in conn.compute.flavors()}
    for name, vcpus, ram, disk in (("m1.tiny", 1, 512, 1), ("m1.small", 1, 2048, 20)):
        if name not in flavors:
            conn.compute.create_flavor(name=name, vcpus=vcpus, ram=ram, disk=disk,
                                       is_public=True)
    # One tiny raw image per portable alias the compute adapter declares, with the Glance
    # properties a cloud's images carry (os_distro, os_version), so every alias resolves.
    for name, distro, version in ((E["OSX_IMAGE_NAME"], "ubuntu", "22.04"),
                                  ("nimbus-ubuntu-24.04", "ubuntu", "24.04"),
                                  ("nimbus-debian-12", "debian", "12")):
        img = conn.image.find_image(name)
        if img is not None and img.status != "active":
            conn.image.delete_image(img)
            img = None
        if img is None:
            conn.create_image(name, filename=E["OSX_IMAGE_FILE"], disk_format="raw",
                              container_format="bare", visibility="public", wait=True,
                              timeout=120, os_distro=distro, os_version=version)


def tempurl():
    # As the test user: the key belongs to its project's account (AUTH_<project id>).
    conn = openstack.connect(
        auth_url=E["OSX_AUTH_URL"], username=E["OSX_USER"], password=E["OSX_PASSWORD"],
        project_name=E["OSX_PROJECT"], user_domain_name="Default", project_domain_name="Default",
        region_name=REGION, identity_api_version="3")
    conn.object_store.set_account_temp_url_key(E["OSX_TEMP_URL_KEY"])


if __name__ == "__main__":
    {"identity": identity, "resources": resources, "tempurl": tempurl}[sys.argv[1]]()

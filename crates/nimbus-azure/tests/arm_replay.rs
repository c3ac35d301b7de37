//! The ARM compute and network adapters against Azure's own published examples, replayed by
//! a local mock (see `replay/mod.rs`). There is no Azure compute emulator; these tests prove
//! that what Nimbus sends matches Azure's documented requests and that it reads Azure's
//! documented answers, including long-running operations and errors.
//!
//! The adapters are called as every user of the facade gets them, behind the portable
//! contract (which validates input and fills the error context they no longer write), except
//! where the contract's portable name rule refuses a name Azure's example uses.
#![cfg(feature = "compute")]

mod replay;

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use nimbus_azure::arm::{api, ArmAuth, ArmConfig};
use nimbus_azure::{AzureCompute, AzureNetwork};
use nimbus_core::compute::{ComputeExt, ImageChoice, InstanceSpec, SizeChoice, State, StopMode, WaitOptions};
use nimbus_core::config::Secret;
use nimbus_core::contract::Contract;
use nimbus_core::network::{Action, Direction, FirewallRule, FirewallSpec, NetworkSpec, Protocol, SubnetSpec};
use nimbus_core::{Compute, ErrorKind, NetworkService};
use replay::{fixtures_dir, Example, Exchange, Replay};
use serde_json::{json, Value};

/// The adapter behind the portable contract, as the facade opens it.
fn contract<T>(adapter: T) -> Contract<T> {
    Contract::new(Arc::new(adapter))
}

fn config(r: &Replay, sub: &str, rg: &str, location: &str) -> ArmConfig {
    let mut c = ArmConfig::new(sub, rg, location);
    c.endpoint = r.base.clone();
    c.auth = ArmAuth::Token(Secret::new("replay-token"));
    c.poll_interval = Duration::from_millis(1);
    c
}

/// ARM's answer for a missing resource, shaped as Network's `CloudError` definition.
fn not_found(fixture: &Example, method: &str, path: &str) -> Exchange {
    Exchange::new(fixture, method, path, "200")
        .with_status(404)
        .with_body(json!({"error": {"code": "ResourceNotFound", "message": "The Resource was not found."}}))
}

/// A finished `Azure-AsyncOperation` (`AzureAsyncOperationResult.status` from network.json).
fn operation_done(dir: &std::path::Path, r: &Replay, url: &str) -> Exchange {
    let schema = Example::load(dir, "network/network.json");
    let statuses = schema.json["definitions"]["AzureAsyncOperationResult"]["properties"]["status"]["enum"].clone();
    assert!(statuses.as_array().unwrap().iter().any(|s| s == "Succeeded"));
    let local = r.local_url(url);
    let path = local.trim_start_matches(&r.base).split('?').next().unwrap().to_string();
    let mut e = Exchange::new(&schema, "GET", path, "200");
    e.api_version = None;
    e.status = 200;
    e.headers = vec![];
    e.body = json!({"status": "Succeeded"});
    e
}

/// The 202 → poll `Location` → 200 sequence of an example, with the URL pointed here.
fn with_location(r: &Replay, ex: &Example, method: &str, path: &str) -> Vec<Exchange> {
    let mut first = Exchange::new(ex, method, path, "202");
    let loc = first
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("location"))
        .map(|(_, v)| v.clone())
        .expect("the example's 202 has a Location");
    let local = r.local_url(&loc);
    first.headers = vec![("Location".into(), local.clone())];
    let poll_path = local.trim_start_matches(&r.base).split('?').next().unwrap().to_string();
    let mut done = Exchange::new(ex, "GET", poll_path, "200");
    done.api_version = None;
    vec![first, done]
}

#[tokio::test]
async fn create_network_sends_the_documented_vnet_body() {
    let Some(dir) = fixtures_dir() else { return };
    let r = Replay::start().await;
    let create = Example::load(&dir, "network/VirtualNetworkCreate.json");
    let (sub, rg, name) = (
        create.param("subscriptionId"),
        create.param("resourceGroupName"),
        create.param("virtualNetworkName"),
    );
    let path = format!("/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/virtualNetworks/{name}");
    r.expect(not_found(&create, "GET", &path));
    let get = Example::load(&dir, "network/VirtualNetworkGet.json");
    r.expect(Exchange::new(&create, "PUT", &path, "201").body_fields_from(&[
        &create.request_body("parameters"),
        &create.response("201").2,
        &get.response("200").2,
    ]));
    let net = contract(AzureNetwork::with_client(
        nimbus_azure::ArmClient::new(&config(
            &r,
            &sub,
            &rg,
            create.request_body("parameters")["location"].as_str().unwrap(),
        ))
        .unwrap(),
    ));
    let prefix = create.request_body("parameters")["properties"]["addressSpace"]["addressPrefixes"][0]
        .as_str()
        .unwrap()
        .to_string();
    let n = net
        .create_network(&NetworkSpec::new(name.clone(), prefix.parse().unwrap()))
        .await
        .unwrap();
    r.verify_as("network.create_network", "network");
    let body = create.response("201").2;
    assert_eq!(n.id, body["id"].as_str().unwrap());
    assert_eq!(n.cidr.unwrap().to_string(), prefix);
    assert_eq!(n.region.as_deref(), body["location"].as_str());
    // The body sent is the documented one: location and address space.
    let sent = &r.seen.lock().unwrap()[1].2;
    assert_eq!(
        sent["properties"]["addressSpace"],
        create.request_body("parameters")["properties"]["addressSpace"]
    );
}

#[tokio::test]
async fn create_subnet_checks_the_vnet_then_puts_the_documented_body() {
    let Some(dir) = fixtures_dir() else { return };
    let r = Replay::start().await;
    let create = Example::load(&dir, "network/SubnetCreate.json");
    let get_vnet = Example::load(&dir, "network/VirtualNetworkGet.json");
    let (sub, rg, vnet) = (
        create.param("subscriptionId"),
        create.param("resourceGroupName"),
        create.param("virtualNetworkName"),
    );
    let vnet_path =
        format!("/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/virtualNetworks/{vnet}");
    // The published VNet, without its example subnets (they would overlap the new one).
    let mut vnet_body = get_vnet.response("200").2;
    vnet_body["properties"]["subnets"] = json!([]);
    vnet_body["id"] = json!(vnet_path);
    r.expect(Exchange::new(&get_vnet, "GET", &vnet_path, "200").with_body(vnet_body));
    let subnet_path = format!("{vnet_path}/subnets/{}", create.param("subnetName"));
    r.expect(
        Exchange::new(&create, "PUT", &subnet_path, "201")
            .body_fields_from(&[&create.request_body("subnetParameters"), &create.response("201").2]),
    );
    let net = contract(AzureNetwork::connect(&config(&r, &sub, &rg, "westus")).unwrap());
    let cidr = create.request_body("subnetParameters")["properties"]["addressPrefix"]
        .as_str()
        .unwrap()
        .to_string();
    let s = net
        .create_subnet(&SubnetSpec::new(
            vnet_path.clone(),
            create.param("subnetName"),
            cidr.parse().unwrap(),
        ))
        .await
        .unwrap();
    r.verify_as("network.create_subnet", "network");
    assert_eq!(s.id, create.response("201").2["id"].as_str().unwrap());
    assert_eq!(s.cidr.to_string(), cidr);
    assert_eq!(r.seen.lock().unwrap()[1].2, create.request_body("subnetParameters"));
    // Azure subnets are regional: a zone is refused before any request.
    let mut zonal = SubnetSpec::new(vnet_path, "z", "10.0.1.0/24".parse().unwrap());
    zonal.zone = Some("1".into());
    let e = net.create_subnet(&zonal).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
}

#[tokio::test]
async fn firewall_rules_are_nsg_security_rules_with_priorities_and_deny() {
    let Some(dir) = fixtures_dir() else { return };
    let r = Replay::start().await;
    let create = Example::load(&dir, "network/NetworkSecurityGroupCreateWithRule.json");
    let get_vnet = Example::load(&dir, "network/VirtualNetworkGet.json");
    let (sub, rg, nsg) = (
        create.param("subscriptionId"),
        create.param("resourceGroupName"),
        create.param("networkSecurityGroupName"),
    );
    let vnet_id = get_vnet.response("200").2["id"].as_str().unwrap().to_string();
    let nsg_path =
        format!("/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/networkSecurityGroups/{nsg}");
    r.expect(Exchange::new(&get_vnet, "GET", &vnet_id, "200"));
    r.expect(not_found(&create, "GET", &nsg_path));
    r.expect(
        Exchange::new(&create, "PUT", &nsg_path, "201")
            .body_fields_from(&[&create.request_body("parameters"), &create.response("201").2]),
    );
    let net = contract(AzureNetwork::connect(&config(&r, &sub, &rg, "eastus")).unwrap());
    // The example's rule: allow any protocol to port 80 from anywhere, priority 130.
    let ex_rule = &create.request_body("parameters")["properties"]["securityRules"][0]["properties"];
    let mut deny = FirewallRule::allow_tcp_in(22, "10.0.0.0/8".parse().unwrap())
        .action(Action::Deny)
        .priority(100);
    deny.direction = Direction::Ingress;
    let web = FirewallRule::allow_tcp_in(80, "0.0.0.0/0".parse().unwrap())
        .priority(ex_rule["priority"].as_u64().unwrap() as u32);
    let out = FirewallRule::allow_tcp_in(443, "10.1.0.0/16".parse().unwrap()).direction(Direction::Egress);
    let fw = net
        .create_firewall(&FirewallSpec::new(vnet_id.clone(), nsg.clone(), vec![deny, web, out]))
        .await
        .unwrap();
    r.verify_as("network.create_firewall (deny, priorities, egress)", "network");
    let sent = r.seen.lock().unwrap()[2].2.clone();
    let rules = sent["properties"]["securityRules"].as_array().unwrap();
    assert_eq!(rules[0]["properties"]["access"], "Deny");
    assert_eq!(rules[0]["properties"]["priority"], 100);
    assert_eq!(
        rules[1]["properties"]["destinationPortRange"],
        ex_rule["destinationPortRange"]
    );
    assert_eq!(rules[1]["properties"]["priority"], ex_rule["priority"]);
    assert_eq!(rules[2]["properties"]["direction"], "Outbound");
    assert_eq!(rules[2]["properties"]["priority"], 1000);
    assert_eq!(sent["tags"]["nimbus-network"], vnet_id.as_str());
    // What Azure answered is read back as portable rules: the example's rule allows every
    // protocol on port 80, which stays `all` with the port (Azure can express it).
    assert_eq!(fw.id, create.response("201").2["id"].as_str().unwrap());
    let r80 = fw.rules.iter().find(|r| r.priority == Some(130)).expect("rule1");
    assert_eq!(
        (r80.protocol, r80.action, r80.ports.map(|p| p.from)),
        (Protocol::All, Action::Allow, Some(80))
    );
}

#[tokio::test]
async fn deleting_a_firewall_follows_the_async_operation() {
    let Some(dir) = fixtures_dir() else { return };
    let r = Replay::start().await;
    let del = Example::load(&dir, "network/NetworkSecurityGroupDelete.json");
    let (sub, rg, nsg) = (
        del.param("subscriptionId"),
        del.param("resourceGroupName"),
        del.param("networkSecurityGroupName"),
    );
    let path =
        format!("/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/networkSecurityGroups/{nsg}");
    let mut first = Exchange::new(&del, "DELETE", &path, "202");
    let op = first
        .headers
        .iter()
        .find(|(k, _)| k == "Azure-AsyncOperation")
        .map(|(_, v)| v.clone())
        .unwrap();
    first.headers = vec![
        ("Azure-AsyncOperation".into(), r.local_url(&op)),
        ("Retry-After".into(), "0".into()),
    ];
    r.expect(first);
    r.expect(operation_done(&dir, &r, &op));
    let net = contract(AzureNetwork::connect(&config(&r, &sub, &rg, "eastus")).unwrap());
    net.delete_firewall(&nsg).await.unwrap();
    r.verify_as("network.delete_firewall (Azure-AsyncOperation)", "network");
}

#[tokio::test]
async fn attaching_a_firewall_sets_the_nsg_of_the_primary_nic() {
    let Some(dir) = fixtures_dir() else { return };
    let r = Replay::start().await;
    let nsg_get = Example::load(&dir, "network/NetworkSecurityGroupGet.json");
    let vm_get = Example::load(&dir, "compute/VirtualMachine_Get_WithDiskControllerType.json");
    let nic_get = Example::load(&dir, "network/NetworkInterfaceGet.json");
    let nic_create = Example::load(&dir, "network/NetworkInterfaceCreate.json");
    let nsg_id = nsg_get.response("200").2["id"].as_str().unwrap().to_string();
    let nic_id = nic_get.response("200").2["id"].as_str().unwrap().to_string();
    // The published VM, pointing at the published NIC (and without its NSG, to attach one).
    let mut vm = vm_get.response("200").2;
    vm["properties"]["networkProfile"]["networkInterfaces"] =
        json!([{ "id": nic_id, "properties": { "primary": true } }]);
    let vm_id = vm["id"].as_str().unwrap().to_string();
    let mut nic = nic_get.response("200").2;
    nic["properties"]
        .as_object_mut()
        .unwrap()
        .remove("networkSecurityGroup");
    r.expect(Exchange::new(&nsg_get, "GET", &nsg_id, "200"));
    r.expect(Exchange::new(&vm_get, "GET", &vm_id, "200").with_body(vm));
    let mut get_nic = Exchange::new(&nic_get, "GET", &nic_id, "200").with_body(nic);
    get_nic.api_version = Some(api::NETWORK.into());
    r.expect(get_nic);
    r.expect(Exchange::new(&nic_create, "PUT", &nic_id, "200").body_fields_from(&[
        &nic_create.request_body("parameters"),
        &nic_create.response("200").2,
        &nic_get.response("200").2,
    ]));
    let net = contract(AzureNetwork::connect(&config(&r, "s", "g", "eastus")).unwrap());
    // The VM example pins another api-version for GET with $expand; ours is the compute one.
    net.attach_firewall(&nsg_id, &vm_id)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    r.verify_as("network.attach_firewall (NIC)", "network");
    let sent = r.seen.lock().unwrap()[3].2.clone();
    assert_eq!(sent["properties"]["networkSecurityGroup"]["id"], nsg_id.as_str());
}

#[tokio::test]
async fn sizes_come_from_resource_skus() {
    let Some(dir) = fixtures_dir() else { return };
    let r = Replay::start().await;
    let skus = Example::load(&dir, "compute/ListAvailableResourceSkusForARegion.json");
    let sub = skus.param("subscriptionId");
    r.expect(Exchange::new(
        &skus,
        "GET",
        format!("/subscriptions/{sub}/providers/Microsoft.Compute/skus"),
        "200",
    ));
    let compute = contract(AzureCompute::connect(&config(&r, &sub, "g", "westus")).unwrap());
    let sizes = compute.list_sizes().await.unwrap();
    r.verify_as("compute.list_sizes", "compute");
    let filter = r.seen.lock().unwrap()[0].1.clone();
    assert!(
        filter.contains("%24filter=location") || filter.contains("$filter=location"),
        "{filter}"
    );
    let a0 = sizes.iter().find(|s| s.id == "Standard_A0").unwrap();
    assert_eq!((a0.vcpus, a0.memory_mib), (1, 768));
    // Cached: no second request.
    assert_eq!(compute.list_sizes().await.unwrap().len(), sizes.len());
}

#[tokio::test]
async fn create_instance_makes_a_nic_then_the_documented_vm() {
    let Some(dir) = fixtures_dir() else { return };
    let r = Replay::start().await;
    let vm_create = Example::load(&dir, "compute/VirtualMachine_Create_WithSshAuthentication.json");
    let vm_get = Example::load(&dir, "compute/VirtualMachine_Get_WithDiskControllerType.json");
    let nic_create = Example::load(&dir, "network/NetworkInterfaceCreate.json");
    let nic_get = Example::load(&dir, "network/NetworkInterfaceGet.json");
    let view = Example::load(&dir, "compute/VirtualMachine_Get_InstanceView.json");
    let (sub, rg, name) = (
        vm_create.param("subscriptionId"),
        vm_create.param("resourceGroupName"),
        vm_create.param("vmName"),
    );
    let req = vm_create.request_body("parameters");
    let location = req["location"].as_str().unwrap().to_string();
    let vm_path =
        format!("/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/virtualMachines/{name}");
    let nic_path =
        format!("/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/networkInterfaces/{name}-nic");
    let subnet = nic_create.request_body("parameters")["properties"]["ipConfigurations"][0]["properties"]["subnet"]
        ["id"]
        .as_str()
        .unwrap()
        .to_string();
    r.expect(not_found(&vm_create, "GET", &vm_path));
    r.expect(
        Exchange::new(&nic_create, "PUT", &nic_path, "201")
            .body_fields_from(&[&nic_create.request_body("parameters"), &nic_get.response("200").2]),
    );
    // No published VM example carries custom data; `OSProfile.customData` is documented in
    // the Compute REST definitions (virtualMachine.json, "a base-64 encoded string of custom
    // data ... at most 65535 bytes").
    r.expect(
        Exchange::new(&vm_create, "PUT", &vm_path, "201")
            .body_fields_from(&[
                &vm_create.request_body("parameters"),
                &vm_create.response("201").2,
                &vm_get.response("200").2,
            ])
            .documented_beyond_examples(&[(
                "/properties/osProfile/customData",
                "Microsoft.Compute OSProfile.customData",
            )]),
    );
    // The answer says `Creating`: Nimbus reads the VM until it is provisioned.
    let mut done = vm_create.response("201").2;
    done["properties"]["provisioningState"] = json!("Succeeded");
    r.expect(
        Exchange::new(&vm_create, "GET", &vm_path, "200")
            .with_status(200)
            .with_body(done),
    );
    let mut v = Exchange::new(
        &view,
        "GET",
        format!("{}/instanceView", vm_create.response("201").2["id"].as_str().unwrap()),
        "200",
    );
    v.path = format!("{vm_path}/instanceView");
    r.expect(v);
    let answered_nic = vm_create.response("201").2["properties"]["networkProfile"]["networkInterfaces"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut n = Exchange::new(&nic_get, "GET", &answered_nic, "200");
    n.api_version = Some(api::NETWORK.into());
    r.expect(n);
    // The published NIC has a public IP: Nimbus reads its address.
    let pip_get = Example::load(&dir, "network/PublicIpAddressGet.json");
    let pip_id = nic_get.response("200").2["properties"]["ipConfigurations"][0]["properties"]["publicIPAddress"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    r.expect(Exchange::new(&pip_get, "GET", &pip_id, "200"));

    let mut cfg = config(&r, &sub, &rg, &location);
    cfg.ssh_public_key = Some(
        req["properties"]["osProfile"]["linuxConfiguration"]["ssh"]["publicKeys"][0]["keyData"]
            .as_str()
            .unwrap()
            .into(),
    );
    cfg.admin_username = req["properties"]["osProfile"]["adminUsername"].as_str().unwrap().into();
    // Azure's example VM is `myVM`, which the contract's portable name rule (lower case, the
    // strictest cloud's) refuses; Azure's own rule, checked by the adapter, accepts it.
    let compute = AzureCompute::connect(&cfg).unwrap();
    let size = req["properties"]["hardwareProfile"]["vmSize"].as_str().unwrap();
    let mut spec = InstanceSpec::new(
        name.clone(),
        SizeChoice::Id(size.into()),
        ImageChoice::Alias("ubuntu-22.04".into()),
    );
    spec.subnet = Some(subnet.clone());
    spec.labels.insert("team".into(), "a".into());
    let script = "#cloud-config\nruncmd:\n  - echo hello\n";
    spec.user_data = Some(script.into());
    let i = compute.create_instance(&spec).await.unwrap_or_else(|e| panic!("{e}"));
    r.verify_as("compute.create_instance (NIC + VM, provisioning wait)", "compute");
    let seen = r.seen.lock().unwrap();
    let vm_body = &seen[2].2;
    assert_eq!(
        vm_body["properties"]["hardwareProfile"],
        req["properties"]["hardwareProfile"]
    );
    assert_eq!(
        vm_body["properties"]["osProfile"]["linuxConfiguration"],
        req["properties"]["osProfile"]["linuxConfiguration"]
    );
    assert_eq!(
        vm_body["properties"]["networkProfile"]["networkInterfaces"][0]["id"],
        nic_path.as_str()
    );
    assert_eq!(vm_body["tags"]["team"], "a");
    // User data is the custom data cloud-init runs at first boot (base64), not the
    // metadata-service-only `userData`.
    let custom = vm_body["properties"]["osProfile"]["customData"].as_str().unwrap();
    assert_eq!(
        base64::engine::general_purpose::STANDARD.decode(custom).unwrap(),
        script.as_bytes()
    );
    assert!(vm_body["properties"].get("userData").is_none(), "{vm_body}");
    assert_eq!(
        seen[1].2["properties"]["ipConfigurations"][0]["properties"]["subnet"]["id"],
        subnet.as_str()
    );
    // The instance as the published answers describe it.
    assert_eq!(i.state.state, State::Running);
    assert_eq!(i.state.raw, "PowerState/running");
    assert_eq!(i.size, "Standard_D1_v2");
    assert_eq!(i.image, "Canonical:UbuntuServer:16.04-LTS:latest");
    assert_eq!(i.private_ip.as_deref(), Some("172.20.2.4"));
    // The published public IP is dynamic and has no address yet; Nimbus says so.
    assert_eq!(
        pip_get.response("200").2["properties"]["publicIPAllocationMethod"],
        "Dynamic"
    );
    assert_eq!(i.public_ip, None);
}

#[tokio::test]
async fn power_actions_poll_the_operation_then_read_the_state() {
    let Some(dir) = fixtures_dir() else { return };
    for (file, mode) in [
        (
            "compute/VirtualMachine_PowerOff_MaximumSet_Gen.json",
            Some(StopMode::Stop),
        ),
        (
            "compute/VirtualMachine_Deallocate_MinimumSet_Gen.json",
            Some(StopMode::Deallocate),
        ),
        ("compute/VirtualMachine_Start_MinimumSet_Gen.json", None),
        ("compute/VirtualMachine_Restart_MinimumSet_Gen.json", None),
    ] {
        let r = Replay::start().await;
        let ex = Example::load(&dir, file);
        let (sub, rg, name) = (
            ex.param("subscriptionId"),
            ex.param("resourceGroupName"),
            ex.param("vmName"),
        );
        let vm_path =
            format!("/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/virtualMachines/{name}");
        let action = match file {
            f if f.contains("PowerOff") => "powerOff",
            f if f.contains("Deallocate") => "deallocate",
            f if f.contains("Start") => "start",
            _ => "restart",
        };
        for x in with_location(&r, &ex, "POST", &format!("{vm_path}/{action}")) {
            r.expect(x);
        }
        // Then the state: the VM (without a NIC) and an instance view.
        let vm_get = Example::load(&dir, "compute/VirtualMachine_Get_WithDiskControllerType.json");
        let mut vm = vm_get.response("200").2;
        vm["id"] = json!(vm_path);
        vm["properties"]["networkProfile"]["networkInterfaces"] = json!([]);
        r.expect(Exchange::new(&vm_get, "GET", &vm_path, "200").with_body(vm));
        let view = Example::load(&dir, "compute/VirtualMachine_Get_InstanceView.json");
        r.expect(Exchange::new(&view, "GET", format!("{vm_path}/instanceView"), "200"));
        let compute = contract(AzureCompute::connect(&config(&r, &sub, &rg, "westus")).unwrap());
        let i = match (action, mode) {
            (_, Some(m)) => compute.stop_instance(&name, m).await,
            ("start", _) => compute.start_instance(&name).await,
            _ => compute.reboot_instance(&name).await,
        }
        .unwrap_or_else(|e| panic!("{file}: {e}"));
        r.verify_as(&format!("compute.{action} (202 + Location polling)"), "compute");
        assert_eq!(i.id, vm_path);
    }
}

#[tokio::test]
async fn terminate_deletes_the_vm_and_its_nic_through_location_polling() {
    let Some(dir) = fixtures_dir() else { return };
    let r = Replay::start().await;
    let del = Example::load(&dir, "compute/VirtualMachine_Delete_Force.json");
    let nic_del = Example::load(&dir, "network/NetworkInterfaceDelete.json");
    let vm_get = Example::load(&dir, "compute/VirtualMachine_Get_WithDiskControllerType.json");
    let view = Example::load(&dir, "compute/VirtualMachine_Get_InstanceView.json");
    let (sub, rg, name) = (
        del.param("subscriptionId"),
        del.param("resourceGroupName"),
        del.param("vmName"),
    );
    let vm_path =
        format!("/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/virtualMachines/{name}");
    let nic_path =
        format!("/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/networkInterfaces/{name}-nic");
    let mut vm = vm_get.response("200").2;
    vm["id"] = json!(vm_path);
    vm["properties"]["networkProfile"]["networkInterfaces"] = json!([{ "id": nic_path }]);
    let mut get = Exchange::new(&vm_get, "GET", &vm_path, "200").with_body(vm);
    get.api_version = Some(api::COMPUTE.into());
    r.expect(get);
    r.expect(Exchange::new(&view, "GET", format!("{vm_path}/instanceView"), "200"));
    r.expect(not_found(&nic_del, "GET", &nic_path));
    for x in with_location(&r, &del, "DELETE", &vm_path) {
        r.expect(x);
    }
    for x in with_location(&r, &nic_del, "DELETE", &nic_path) {
        r.expect(x);
    }
    let compute = contract(AzureCompute::connect(&config(&r, &sub, &rg, "westus")).unwrap());
    let i = compute
        .terminate_instance(&name)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    r.verify_as("compute.terminate_instance (VM + NIC)", "compute");
    assert_eq!(i.state.state, State::Terminated);
}

#[tokio::test]
async fn terminating_a_vm_that_is_gone_succeeds_and_waits_as_terminated() {
    let Some(dir) = fixtures_dir() else { return };
    let r = Replay::start().await;
    let vm_get = Example::load(&dir, "compute/VirtualMachine_Get_WithDiskControllerType.json");
    let (sub, rg, name) = (
        vm_get.param("subscriptionId"),
        vm_get.param("resourceGroupName"),
        vm_get.param("vmName"),
    );
    let vm_path =
        format!("/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/virtualMachines/{name}");
    // Terminate, the wait for terminated, a retried terminate: each reads the VM (404) and
    // sends nothing else.
    for _ in 0..3 {
        r.expect(not_found(&vm_get, "GET", &vm_path));
    }
    let compute = contract(AzureCompute::connect(&config(&r, &sub, &rg, "westus")).unwrap());
    let i = compute
        .terminate_instance(&name)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((i.id.as_str(), i.name.as_str()), (name.as_str(), name.as_str()));
    assert_eq!((i.state.state, i.state.raw.as_str()), (State::Terminated, "not found"));
    let w = compute
        .wait_for_state(&name, State::Terminated, WaitOptions::timeout(Duration::from_secs(5)))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(w.state.state, State::Terminated);
    let again = compute
        .terminate_instance(&name)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(again.state.state, State::Terminated);
    r.verify_as("compute.terminate_instance (already gone, retried)", "compute");
}

#[tokio::test]
async fn user_data_over_the_custom_data_limit_is_refused_before_any_request() {
    let Some(_) = fixtures_dir() else { return };
    let r = Replay::start().await;
    let mut cfg = config(&r, "s", "g", "westus");
    cfg.ssh_public_key = Some("ssh-rsa AAAA".into());
    let compute = contract(AzureCompute::connect(&cfg).unwrap());
    let spec = InstanceSpec::new(
        "vm1",
        SizeChoice::Id("Standard_B1s".into()),
        ImageChoice::Alias("ubuntu-22.04".into()),
    )
    .subnet("/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/v/subnets/a")
    .user_data("x".repeat(65_536));
    let e = compute.create_instance(&spec).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    assert!(e.to_string().contains("65535"), "{e}");
    assert_eq!((e.provider(), e.operation()), ("azure-vm", "create_instance"));
    assert!(r.seen.lock().unwrap().is_empty());
    r.verify_as("compute.create_instance (custom data limit)", "compute");
}

#[tokio::test]
async fn cloud_errors_become_typed_errors_with_code_and_retry_after() {
    let Some(dir) = fixtures_dir() else { return };
    let common = Example::load(&dir, "compute/common-types/v1/common.json");
    // The shape of the answer comes from Compute's CloudError/ApiError definitions.
    let api_error = &common.json["definitions"]["ApiError"]["properties"];
    assert!(api_error.get("code").is_some() && api_error.get("message").is_some());
    for (status, code, kind, retry) in [
        (409u16, "SkuNotAvailable", ErrorKind::CapacityUnavailable, None),
        (409, "QuotaExceeded", ErrorKind::QuotaExceeded, None),
        (404, "ResourceNotFound", ErrorKind::NotFound, None),
        (409, "Conflict", ErrorKind::Conflict, None),
        (429, "TooManyRequests", ErrorKind::RateLimited, Some("17")),
    ] {
        let r = Replay::start().await;
        let ex = Example::load(&dir, "compute/VirtualMachine_Start_MinimumSet_Gen.json");
        let vm_path = "/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/virtualMachines/vm1/start";
        let mut x = Exchange::new(&ex, "POST", vm_path, "200")
            .with_status(status)
            .with_body(json!({"error": {"code": code, "message": format!("{code} (sig=shouldnotleak)")}}));
        if let Some(s) = retry {
            x.headers = vec![("Retry-After".into(), s.into())];
        }
        r.expect(x);
        let compute = contract(AzureCompute::connect(&config(&r, "s", "g", "westus")).unwrap());
        let e = compute.start_instance("vm1").await.unwrap_err();
        r.verify_as(&format!("compute errors: HTTP {status} {code}"), "compute");
        assert_eq!(e.kind(), kind, "{code}: {e}");
        assert_eq!(e.raw_code(), Some(code));
        assert!(!e.to_string().contains("shouldnotleak"), "{e}");
        assert_eq!(e.retry_after(), retry.map(|s| Duration::from_secs(s.parse().unwrap())));
        // The context the adapter no longer writes, filled by the contract.
        assert_eq!(
            (e.provider(), e.operation(), e.resource()),
            ("azure-vm", "start_instance", Some("vm1"))
        );
    }
}

#[test]
fn replayed_examples_are_the_published_files() {
    // The mock reads the vendor files as published; SOURCES.md lists their checksums.
    let Some(dir) = fixtures_dir() else { return };
    let sources = std::fs::read_to_string(dir.join("SOURCES.md")).unwrap();
    for f in [
        "VirtualNetworkCreate.json",
        "VirtualMachine_Create_WithSshAuthentication.json",
        "NetworkSecurityGroupDelete.json",
    ] {
        assert!(sources.contains(f), "{f} is not listed in SOURCES.md");
    }
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("azure/network/VirtualNetworkCreate.json")).unwrap())
            .unwrap();
    assert!(v["responses"]["201"].is_object());
}

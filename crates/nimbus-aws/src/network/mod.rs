//! Networking on Amazon VPC: VPCs (regional), subnets (zonal), security groups.
//!
//! Portable firewall = security group. A new security group comes with an allow-all egress
//! rule; the adapter revokes it so that a firewall holds exactly the rules it was given (as
//! Terraform's `aws_security_group` does). An instance attached only to firewalls without
//! egress rules therefore has no outbound traffic on AWS, where GCP and Azure allow egress by
//! default — see docs/differences.md.
//!
//! Names are `Name` tags for VPCs and subnets, and the group name for security groups (which
//! EC2 keeps unique per VPC).
//!
//! `nimbus_core::contract::Contract` is above it: validation, capability gates, error context.

mod rules;

use std::any::Any;
use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_ec2::types::{ResourceType, SecurityGroup, Subnet as AwsSubnet, Vpc};
use nimbus_core::network::{Direction, Firewall, FirewallRule, FirewallSpec, Network, NetworkSpec, Subnet, SubnetSpec};
use nimbus_core::{Error, ErrorKind, FirewallAttachment, NetworkCapabilities, NetworkService, Result, Scope};

use crate::ec2::{check_labels, filter, name_and_labels, tag_spec, Ec2, NAME_TAG};
use crate::error::from_sdk;
use crate::AwsConfig;

const PROVIDER: &str = "aws-vpc";

/// What VPC networking can do.
pub fn vpc_capabilities() -> NetworkCapabilities {
    let mut c = NetworkCapabilities::none();
    c.network_scope = Scope::Regional;
    c.subnet_scope = Scope::Zonal;
    c.firewall_deny_rules = false;
    c.firewall_priorities = false;
    c.firewall_egress_rules = true;
    c.firewall_attachment = FirewallAttachment::Instance;
    // https://docs.aws.amazon.com/vpc/latest/userguide/vpc-cidr-blocks.html
    c.network_prefix_range = (16, 28);
    c.subnet_prefix_range = (16, 28);
    c
}

/// Amazon VPC as a [`NetworkService`]. The native client is `aws_sdk_ec2::Client`.
#[derive(Debug, Clone)]
pub struct VpcNetwork {
    ec2: Ec2,
}

impl VpcNetwork {
    /// Connects with the configuration (standard AWS chain unless static keys are set).
    pub async fn connect(cfg: &AwsConfig) -> Self {
        VpcNetwork {
            ec2: Ec2::connect(cfg).await,
        }
    }

    fn network_of(&self, v: &Vpc) -> Network {
        let (name, labels) = name_and_labels(v.tags());
        let id = v.vpc_id().unwrap_or_default().to_string();
        let name = name.unwrap_or_else(|| {
            if v.is_default() == Some(true) {
                "default".into()
            } else {
                id.clone()
            }
        });
        let mut n = Network::new(id, name);
        n.cidr = v.cidr_block().and_then(|c| c.parse().ok());
        n.region = Some(self.ec2.region.clone());
        n.labels = labels;
        n
    }

    fn subnet_of(&self, s: &AwsSubnet) -> Option<Subnet> {
        let (name, _) = name_and_labels(s.tags());
        let id = s.subnet_id()?.to_string();
        let mut out = Subnet::new(
            id.clone(),
            name.unwrap_or(id),
            s.vpc_id().unwrap_or_default(),
            s.cidr_block()?.parse().ok()?,
        );
        out.region = Some(self.ec2.region.clone());
        out.zone = s.availability_zone().map(str::to_string);
        Some(out)
    }

    fn firewall_of(g: &SecurityGroup) -> Firewall {
        Firewall::new(
            g.group_id().unwrap_or_default(),
            g.group_name().unwrap_or_default(),
            g.vpc_id().unwrap_or_default(),
            rules::rules_of(g),
        )
    }

    async fn vpc(&self, id: &str) -> Result<Vpc> {
        let out = self
            .ec2
            .client
            .describe_vpcs()
            .vpc_ids(id)
            .send()
            .await
            .map_err(from_sdk)?;
        out.vpcs().first().cloned().ok_or_else(|| Error::not_found(id))
    }

    async fn group(&self, id: &str) -> Result<SecurityGroup> {
        let out = self
            .ec2
            .client
            .describe_security_groups()
            .group_ids(id)
            .send()
            .await
            .map_err(from_sdk)?;
        out.security_groups()
            .first()
            .cloned()
            .ok_or_else(|| Error::not_found(id))
    }

    async fn create_net(&self, spec: &NetworkSpec) -> Result<Network> {
        // EC2's own tag limits; the contract checks the name and the prefix length.
        check_labels(&spec.labels)?;
        let same = self
            .ec2
            .client
            .describe_vpcs()
            .filters(filter(&format!("tag:{NAME_TAG}"), [spec.name.as_str()]))
            .send()
            .await
            .map_err(from_sdk)?;
        if let Some(v) = same.vpcs().first() {
            return Err(Error::new(
                ErrorKind::AlreadyExists,
                format!(
                    "a network named `{}` exists: {}",
                    spec.name,
                    v.vpc_id().unwrap_or_default()
                ),
            ));
        }
        let out = self
            .ec2
            .client
            .create_vpc()
            .cidr_block(spec.cidr.to_string())
            .tag_specifications(tag_spec(ResourceType::Vpc, &spec.name, &spec.labels))
            .send()
            .await
            .map_err(from_sdk)?;
        let v = out.vpc().ok_or_else(|| Error::internal("CreateVpc returned no VPC"))?;
        Ok(self.network_of(v))
    }

    async fn create_sub(&self, spec: &SubnetSpec) -> Result<Subnet> {
        if let Some(z) = &spec.zone {
            self.ec2.check_zone(z).await?;
        }
        let mut req = self
            .ec2
            .client
            .create_subnet()
            .vpc_id(&spec.network)
            .cidr_block(spec.cidr.to_string())
            .tag_specifications(tag_spec(ResourceType::Subnet, &spec.name, &Default::default()));
        if let Some(z) = &spec.zone {
            req = req.availability_zone(z);
        }
        let out = req.send().await.map_err(from_sdk)?;
        out.subnet()
            .and_then(|s| self.subnet_of(s))
            .ok_or_else(|| Error::internal("CreateSubnet returned no subnet"))
    }

    /// Adds and removes permissions so that the group holds exactly `want`.
    async fn converge(&self, id: &str, have: &[FirewallRule], want: &[FirewallRule]) -> Result<()> {
        let c = &self.ec2.client;
        for dir in [Direction::Ingress, Direction::Egress] {
            let revoke: Vec<_> = have
                .iter()
                .filter(|h| h.direction == dir && !want.iter().any(|w| rules::same(w, h)))
                .map(rules::permission)
                .collect();
            // EC2 refuses a permission twice in one request: each wanted rule is sent once.
            let add: Vec<_> = want
                .iter()
                .enumerate()
                .filter(|&(i, w)| {
                    w.direction == dir
                        && !have.iter().any(|h| rules::same(w, h))
                        && !want[..i].iter().any(|x| rules::same(x, w))
                })
                .map(|(_, w)| rules::permission(w))
                .collect();
            match dir {
                Direction::Ingress => {
                    if !revoke.is_empty() {
                        c.revoke_security_group_ingress()
                            .group_id(id)
                            .set_ip_permissions(Some(revoke))
                            .send()
                            .await
                            .map_err(from_sdk)?;
                    }
                    if !add.is_empty() {
                        c.authorize_security_group_ingress()
                            .group_id(id)
                            .set_ip_permissions(Some(add))
                            .send()
                            .await
                            .map_err(from_sdk)?;
                    }
                }
                Direction::Egress => {
                    if !revoke.is_empty() {
                        c.revoke_security_group_egress()
                            .group_id(id)
                            .set_ip_permissions(Some(revoke))
                            .send()
                            .await
                            .map_err(from_sdk)?;
                    }
                    if !add.is_empty() {
                        c.authorize_security_group_egress()
                            .group_id(id)
                            .set_ip_permissions(Some(add))
                            .send()
                            .await
                            .map_err(from_sdk)?;
                    }
                }
            }
        }
        Ok(())
    }

    async fn create_fw(&self, spec: &FirewallSpec) -> Result<Firewall> {
        let out = self
            .ec2
            .client
            .create_security_group()
            .group_name(&spec.name)
            .description(format!("nimbus firewall {}", spec.name))
            .vpc_id(&spec.network)
            .tag_specifications(tag_spec(ResourceType::SecurityGroup, &spec.name, &Default::default()))
            .send()
            .await
            .map_err(from_sdk)?;
        let id = out
            .group_id()
            .ok_or_else(|| Error::internal("CreateSecurityGroup returned no id"))?
            .to_string();
        let set = async {
            let g = self.group(&id).await?;
            self.converge(&id, &rules::rules_of(&g), &spec.rules).await?;
            self.group(&id).await
        };
        match set.await {
            Ok(g) => Ok(Self::firewall_of(&g)),
            Err(e) => {
                // Leave nothing half-made behind.
                if let Err(cleanup) = self.ec2.client.delete_security_group().group_id(&id).send().await {
                    tracing::warn!(group = %id, error = %from_sdk(cleanup), "could not delete a half-created security group");
                }
                Err(e)
            }
        }
    }

    async fn instance_groups(&self, instance: &str) -> Result<Vec<String>> {
        let out = self
            .ec2
            .client
            .describe_instances()
            .instance_ids(instance)
            .send()
            .await
            .map_err(from_sdk)?;
        let i = out
            .reservations()
            .iter()
            .flat_map(|r| r.instances())
            .find(|i| i.instance_id() == Some(instance))
            .ok_or_else(|| Error::not_found(instance))?;
        Ok(i.security_groups()
            .iter()
            .filter_map(|g| g.group_id().map(str::to_string))
            .collect())
    }

    async fn set_groups(&self, instance: &str, groups: Vec<String>) -> Result<()> {
        self.ec2
            .client
            .modify_instance_attribute()
            .instance_id(instance)
            .set_groups(Some(groups))
            .send()
            .await
            .map_err(from_sdk)?;
        Ok(())
    }
}

#[async_trait]
impl NetworkService for VpcNetwork {
    fn provider(&self) -> &'static str {
        PROVIDER
    }

    fn capabilities(&self) -> NetworkCapabilities {
        vpc_capabilities()
    }

    fn native(&self) -> Option<Arc<dyn Any + Send + Sync>> {
        Some(Arc::new(self.ec2.client.clone()))
    }

    async fn create_network(&self, spec: &NetworkSpec) -> Result<Network> {
        self.create_net(spec).await
    }

    async fn get_network(&self, id: &str) -> Result<Network> {
        self.vpc(id).await.map(|v| self.network_of(&v))
    }

    async fn list_networks(&self) -> Result<Vec<Network>> {
        let out = self.ec2.client.describe_vpcs().send().await.map_err(from_sdk)?;
        Ok(out.vpcs().iter().map(|v| self.network_of(v)).collect())
    }

    async fn delete_network(&self, id: &str) -> Result<()> {
        self.ec2.client.delete_vpc().vpc_id(id).send().await.map_err(from_sdk)?;
        Ok(())
    }

    async fn create_subnet(&self, spec: &SubnetSpec) -> Result<Subnet> {
        self.create_sub(spec).await
    }

    async fn get_subnet(&self, id: &str) -> Result<Subnet> {
        let out = self
            .ec2
            .client
            .describe_subnets()
            .subnet_ids(id)
            .send()
            .await
            .map_err(from_sdk)?;
        out.subnets()
            .first()
            .and_then(|s| self.subnet_of(s))
            .ok_or_else(|| Error::not_found(id))
    }

    async fn list_subnets(&self, network: Option<String>) -> Result<Vec<Subnet>> {
        let mut req = self.ec2.client.describe_subnets();
        if let Some(n) = &network {
            req = req.filters(filter("vpc-id", [n.as_str()]));
        }
        let out = req.send().await.map_err(from_sdk)?;
        Ok(out.subnets().iter().filter_map(|s| self.subnet_of(s)).collect())
    }

    async fn delete_subnet(&self, id: &str) -> Result<()> {
        self.ec2
            .client
            .delete_subnet()
            .subnet_id(id)
            .send()
            .await
            .map_err(from_sdk)?;
        Ok(())
    }

    async fn create_firewall(&self, spec: &FirewallSpec) -> Result<Firewall> {
        self.create_fw(spec).await
    }

    async fn get_firewall(&self, id: &str) -> Result<Firewall> {
        self.group(id).await.map(|g| Self::firewall_of(&g))
    }

    async fn list_firewalls(&self, network: Option<String>) -> Result<Vec<Firewall>> {
        let mut req = self.ec2.client.describe_security_groups();
        if let Some(n) = &network {
            req = req.filters(filter("vpc-id", [n.as_str()]));
        }
        let out = req.send().await.map_err(from_sdk)?;
        Ok(out.security_groups().iter().map(Self::firewall_of).collect())
    }

    async fn set_firewall_rules(&self, id: &str, rules: &[FirewallRule]) -> Result<Firewall> {
        let g = self.group(id).await?;
        self.converge(id, &rules::rules_of(&g), rules).await?;
        Ok(Self::firewall_of(&self.group(id).await?))
    }

    async fn delete_firewall(&self, id: &str) -> Result<()> {
        self.ec2
            .client
            .delete_security_group()
            .group_id(id)
            .send()
            .await
            .map_err(from_sdk)?;
        Ok(())
    }

    async fn attach_firewall(&self, firewall: &str, instance: &str) -> Result<()> {
        self.group(firewall).await?;
        let mut groups = self.instance_groups(instance).await?;
        if groups.iter().any(|g| g == firewall) {
            return Ok(());
        }
        groups.push(firewall.to_string());
        self.set_groups(instance, groups).await
    }

    async fn detach_firewall(&self, firewall: &str, instance: &str) -> Result<()> {
        self.group(firewall).await?;
        let groups = self.instance_groups(instance).await?;
        if !groups.iter().any(|g| g == firewall) {
            return Ok(());
        }
        let rest: Vec<String> = groups.into_iter().filter(|g| g != firewall).collect();
        if rest.is_empty() {
            return Err(Error::new(
                ErrorKind::Conflict,
                "an EC2 instance keeps at least one security group: attach another firewall before detaching the last one",
            ));
        }
        self.set_groups(instance, rest).await
    }
}

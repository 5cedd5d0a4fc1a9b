// SPDX-License-Identifier: GPL-2.0
/*
 * One MODULE_DEVICE_TABLE of every type file2alias.c knows, with entries that
 * take the interesting paths (wildcards, masks, BCD ranges, whitespace in OF
 * strings, invalid WMI GUIDs, an all-zero table in .bss). Nothing here is
 * ever matched against a device: the module only feeds modpost.
 */
#include <linux/module.h>
#include <linux/init.h>
#include <linux/mod_devicetable.h>

#define T(type, name) MODULE_DEVICE_TABLE(type, name)
/* <linux/usb.h> shorthands, spelled out to need only <linux/mod_devicetable.h> */
#define USB_DEVICE_ID_MATCH_DEVICE (USB_DEVICE_ID_MATCH_VENDOR | USB_DEVICE_ID_MATCH_PRODUCT)
#define USB_DEVICE_ID_MATCH_DEV_RANGE (USB_DEVICE_ID_MATCH_DEV_LO | USB_DEVICE_ID_MATCH_DEV_HI)
#define USB_DEVICE_ID_MATCH_DEVICE_AND_VERSION (USB_DEVICE_ID_MATCH_DEVICE | USB_DEVICE_ID_MATCH_DEV_RANGE)
#define USB_DEVICE_ID_MATCH_DEV_INFO \
	(USB_DEVICE_ID_MATCH_DEV_CLASS | USB_DEVICE_ID_MATCH_DEV_SUBCLASS | USB_DEVICE_ID_MATCH_DEV_PROTOCOL)
#define USB_DEVICE_ID_MATCH_INT_INFO \
	(USB_DEVICE_ID_MATCH_INT_CLASS | USB_DEVICE_ID_MATCH_INT_SUBCLASS | USB_DEVICE_ID_MATCH_INT_PROTOCOL)
#define B16(a) { .b = { a, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff } }

static const struct pci_device_id pci_ids[] = {
	{ .vendor = 0x8086, .device = 0x1234, .subvendor = PCI_ANY_ID, .subdevice = PCI_ANY_ID },
	{ .vendor = PCI_ANY_ID, .device = PCI_ANY_ID, .subvendor = PCI_ANY_ID, .subdevice = PCI_ANY_ID,
	  .class = 0x0c0330, .class_mask = 0xffffff },
	{ .vendor = 0x1af4, .device = PCI_ANY_ID, .subvendor = 0x10, .subdevice = 0x20,
	  .class = 0x010000, .class_mask = 0xff0000 },
	{ .vendor = 0x10de, .device = 0x1, .subvendor = PCI_ANY_ID, .subdevice = PCI_ANY_ID,
	  .class = 0x030000, .class_mask = 0xf00000 },
	{ .vendor = 0x15b3, .device = 0x1017, .subvendor = PCI_ANY_ID, .subdevice = PCI_ANY_ID,
	  .override_only = 1 },
	{ .vendor = 0x15b3, .device = 0x1018, .subvendor = PCI_ANY_ID, .subdevice = PCI_ANY_ID,
	  .override_only = 2 },
	{ }
};
T(pci, pci_ids);

static const struct usb_device_id usb_ids[] = {
	{ .match_flags = USB_DEVICE_ID_MATCH_DEVICE, .idVendor = 0x046d, .idProduct = 0xc52b },
	{ .match_flags = USB_DEVICE_ID_MATCH_DEVICE_AND_VERSION, .idVendor = 0x0781, .idProduct = 0x5567,
	  .bcdDevice_lo = 0x0100, .bcdDevice_hi = 0x0234 },
	{ .match_flags = USB_DEVICE_ID_MATCH_DEVICE_AND_VERSION, .idVendor = 0x0781, .idProduct = 0x5568,
	  .bcdDevice_lo = 0x0a0f, .bcdDevice_hi = 0x1b3c },
	{ .match_flags = USB_DEVICE_ID_MATCH_DEVICE | USB_DEVICE_ID_MATCH_DEV_LO, .idVendor = 0x1,
	  .idProduct = 0x2, .bcdDevice_lo = 0x0099 },
	{ .match_flags = USB_DEVICE_ID_MATCH_INT_INFO | USB_DEVICE_ID_MATCH_INT_NUMBER,
	  .bInterfaceClass = 8, .bInterfaceSubClass = 6, .bInterfaceProtocol = 0x50, .bInterfaceNumber = 2 },
	{ .match_flags = USB_DEVICE_ID_MATCH_DEV_INFO, .bDeviceClass = 9, .bDeviceSubClass = 0,
	  .bDeviceProtocol = 1 },
	{ .match_flags = USB_DEVICE_ID_MATCH_VENDOR, .idVendor = 0 },  /* placeholder: no alias */
	{ }
};
T(usb, usb_ids);

static const struct of_device_id of_ids[] = {
	{ .compatible = "arm,pl031" },
	{ .name = "rtc", .type = "cmos rtc" },
	{ .type = "serial", .compatible = "ns16550a\tfoo bar" },
	{ .name = "only-a-name" },
	{ }
};
T(of, of_ids);

static const struct acpi_device_id acpi_ids[] = {
	{ "PNP0C0B", 0 },
	{ "", 0, 0x010601, 0xffffff },
	{ "", 0, 0x0c0300, 0xff00ff },
	{ }
};
T(acpi, acpi_ids);

static const struct pnp_device_id pnp_ids[] = { { .id = "pnp0501" }, { .id = "ABC1234" }, { } };
T(pnp, pnp_ids);

static const struct pnp_card_device_id pnp_card_ids[] = {
	{ .id = "CTL0001", .devs = { { "ctl0031" }, { "ctl0021" } } },
	{ .id = "CTL0002", .devs = { { "ctl0031" }, { "ctl7002" } } },
	{ }
};
T(pnp_card, pnp_card_ids);

static const struct hid_device_id hid_ids[] = {
	{ .bus = 3, .group = 0, .vendor = 0x46d, .product = 0xc077 },
	{ .bus = HID_BUS_ANY, .group = 1, .vendor = HID_ANY_ID, .product = HID_ANY_ID },
	{ }
};
T(hid, hid_ids);

static const struct ieee1394_device_id ieee1394_ids[] = {
	{ .match_flags = IEEE1394_MATCH_VENDOR_ID | IEEE1394_MATCH_VERSION, .vendor_id = 0xa02d,
	  .version = 0x10001 },
	{ }
};
T(ieee1394, ieee1394_ids);

static const struct ccw_device_id ccw_ids[] = {
	{ .match_flags = CCW_DEVICE_ID_MATCH_CU_TYPE | CCW_DEVICE_ID_MATCH_DEVICE_MODEL,
	  .cu_type = 0x3088, .dev_model = 0x8 },
	{ }
};
T(ccw, ccw_ids);

static const struct ap_device_id ap_ids[] = { { .match_flags = 1, .dev_type = 0x0a }, { } };
T(ap, ap_ids);
static const struct css_device_id css_ids[] = { { .match_flags = 1, .type = 3 }, { } };
T(css, css_ids);

static const struct serio_device_id serio_ids[] = {
	{ .type = 1, .proto = SERIO_ANY, .id = SERIO_ANY, .extra = SERIO_ANY },
	{ .type = SERIO_ANY, .proto = 0x3f, .id = 2, .extra = 0 },
	{ }
};
T(serio, serio_ids);

static const struct pcmcia_device_id pcmcia_ids[] = {
	{ .match_flags = PCMCIA_DEV_ID_MATCH_MANF_ID | PCMCIA_DEV_ID_MATCH_CARD_ID |
	  PCMCIA_DEV_ID_MATCH_PROD_ID2, .manf_id = 0x105, .card_id = 0xea15,
	  .prod_id_hash = { 0, 0xdeadbeef, 0, 0 } },
	{ }
};
T(pcmcia, pcmcia_ids);

static const struct vio_device_id vio_ids[] = { { "network", "IBM,l-lan" }, { "", "ibm vty" }, { } };
T(vio, vio_ids);

static const struct input_device_id input_ids[] = {
	{ .flags = INPUT_DEVICE_ID_MATCH_EVBIT | INPUT_DEVICE_ID_MATCH_KEYBIT | INPUT_DEVICE_ID_MATCH_BUS,
	  .bustype = 0x19, .evbit = { 0x3 }, .keybit = { [1] = 0xff00000000000000UL, [11] = 1UL << 3 } },
	{ .flags = INPUT_DEVICE_ID_MATCH_SWBIT | INPUT_DEVICE_ID_MATCH_FFBIT | INPUT_DEVICE_ID_MATCH_VERSION,
	  .version = 0x100, .swbit = { 1UL << 16 | 1 }, .ffbit = { 0, 1UL << 63 } },
	{ .driver_info = 1 },
	{ }
};
T(input, input_ids);

static const struct eisa_device_id eisa_ids[] = { { "ADP0001" }, { } };
T(eisa, eisa_ids);

static const struct parisc_device_id parisc_ids[] = {
	{ .hw_type = 0xa, .hversion = 0xffff, .hversion_rev = 0xff, .sversion = 0x89 }, { }
};
T(parisc, parisc_ids);

static const struct sdio_device_id sdio_ids[] = {
	{ .class = (__u8)SDIO_ANY_ID, .vendor = 0x2d0, .device = (__u16)SDIO_ANY_ID }, { .class = 7 }, { }
};
T(sdio, sdio_ids);

static const struct ssb_device_id ssb_ids[] = { { .vendor = 0x4243, .coreid = 0x812, .revision = 0xff }, { } };
T(ssb, ssb_ids);
static const struct bcma_device_id bcma_ids[] = { { .manuf = 0x4bf, .id = 0xffff, .rev = 1, .class = 0xff }, { } };
T(bcma, bcma_ids);

static const struct virtio_device_id virtio_ids[] = { { 1, VIRTIO_DEV_ANY_ID }, { 0x1a, 0x1af4 }, { } };
T(virtio, virtio_ids);

static const struct hv_vmbus_device_id vmbus_ids[] = { { .guid = B16(0xf8) }, { } };
T(vmbus, vmbus_ids);

static const struct rpmsg_device_id rpmsg_ids[] = { { "rpmsg-client-sample" }, { } };
T(rpmsg, rpmsg_ids);
static const struct i2c_device_id i2c_ids[] = { { "ds1307", 0 }, { "at24", 1 }, { } };
T(i2c, i2c_ids);

static const struct i3c_device_id i3c_ids[] = {
	{ .match_flags = I3C_MATCH_MANUF | I3C_MATCH_PART, .manuf_id = 0x105, .part_id = 0x1 },
	{ .match_flags = I3C_MATCH_DCR, .dcr = 0x44 },
	{ }
};
T(i3c, i3c_ids);

static const struct spi_device_id spi_ids[] = { { "m25p80", 0 }, { } };
T(spi, spi_ids);
static struct spi_device_id spi_bss_ids[2];  /* all zero, in .bss */
T(spi, spi_bss_ids);

static const struct dmi_system_id dmi_ids[] = {
	{ .ident = "x", .matches = {
		DMI_MATCH(DMI_SYS_VENDOR, "ACME Corp."),
		DMI_MATCH(DMI_PRODUCT_NAME, "Road:Runner 3000"),
		DMI_MATCH(DMI_PRODUCT_SERIAL, "not in the alias"),
		DMI_EXACT_MATCH(DMI_BOARD_NAME, "Board"), } },
	{ }
};
T(dmi, dmi_ids);

static const struct platform_device_id platform_ids[] = { { "pl031-rtc" }, { "foo bar" }, { } };
T(platform, platform_ids);

static const struct mdio_device_id mdio_ids[] = {
	{ 0x001cc915, 0xfffffff0 }, { 0x01410cc0, 0x0ffffff0 }, { }
};
T(mdio, mdio_ids);

static const struct zorro_device_id zorro_ids[] = { { 0x08470001 }, { ZORRO_WILDCARD }, { } };
T(zorro, zorro_ids);

static const struct isapnp_device_id isapnp_ids[] = {
	{ .vendor = 0x8c0e, .function = 0x2100 }, { }
};
T(isapnp, isapnp_ids);

static const struct ipack_device_id ipack_ids[] = { { 1, 0xf0, IPACK_ANY_ID }, { } };
T(ipack, ipack_ids);

static const struct amba_id amba_ids[] = {
	{ .id = 0x00041031, .mask = 0x000fffff },
	{ .id = 0x00041030, .mask = 0x000ffff6 },
	{ }
};
T(amba, amba_ids);

static const struct mips_cdmm_device_id mipscdmm_ids[] = { { 0xa }, { } };
T(mipscdmm, mipscdmm_ids);

static const struct x86_cpu_id x86cpu_ids[] = {
	{ .vendor = 0, .family = 6, .model = 0x55, .feature = 0 },
	{ .vendor = X86_VENDOR_ANY, .family = X86_FAMILY_ANY, .model = X86_MODEL_ANY, .feature = 0x9a },
	{ }
};
T(x86cpu, x86cpu_ids);

static const struct cpu_feature cpu_ids[] = { { 0x1c }, { } };
T(cpu, cpu_ids);

static const struct mei_cl_device_id mei_ids[] = {
	{ .name = "mei_hdcp", .uuid = B16(0xb6), .version = 1 },
	{ .name = "", .uuid = B16(0x01), .version = MEI_CL_VERSION_ANY },
	{ }
};
T(mei, mei_ids);

static const struct rio_device_id rio_ids[] = { { .did = 0x1, .vid = RIO_ANY_ID, .asm_did = 3, .asm_vid = RIO_ANY_ID }, { } };
T(rapidio, rio_ids);
static const struct ulpi_device_id ulpi_ids[] = { { 0x0451, 0x1507 }, { } };
T(ulpi, ulpi_ids);
static const struct hda_device_id hda_ids[] = { { .vendor_id = 0x10ec0262, .api_version = 1 }, { } };
T(hdaudio, hda_ids);
static const struct sdw_device_id sdw_ids[] = { { .mfg_id = 0x25d, .part_id = 0x711, .class_id = 1 }, { } };
T(sdw, sdw_ids);
static const struct fsl_mc_device_id fslmc_ids[] = { { .vendor = 0x1957, .obj_type = "dpni" }, { } };
T(fslmc, fslmc_ids);

static const struct tb_service_id tbsvc_ids[] = {
	{ .match_flags = TBSVC_MATCH_PROTOCOL_KEY | TBSVC_MATCH_PROTOCOL_ID, .protocol_key = "network",
	  .protocol_id = 1 },
	{ .match_flags = TBSVC_MATCH_PROTOCOL_VERSION, .protocol_version = 2 },
	{ }
};
T(tbsvc, tbsvc_ids);

static const struct typec_device_id typec_ids[] = { { 0xff01, TYPEC_ANY_MODE }, { 0x8087, 1 }, { } };
T(typec, typec_ids);
static const struct tee_client_device_id tee_ids[] = { { B16(0x6a) }, { } };
T(tee, tee_ids);

static const struct wmi_device_id wmi_ids[] = {
	{ "05901221-D566-11D1-B2F0-00A0C9062910" }, { "not-a-guid" }, { }
};
T(wmi, wmi_ids);

static const struct mhi_device_id mhi_ids[] = { { .chan = "IP_HW0" }, { } };
T(mhi, mhi_ids);
T(mhi_ep, mhi_ids);
static const struct auxiliary_device_id auxiliary_ids[] = { { .name = "mlx5_core.eth" }, { } };
T(auxiliary, auxiliary_ids);

static const struct ssam_device_id ssam_ids[] = {
	{ .match_flags = SSAM_MATCH_TARGET | SSAM_MATCH_FUNCTION, .domain = 1, .category = 2, .target = 3,
	  .function = 4 },
	{ }
};
T(ssam, ssam_ids);
static const struct dfl_device_id dfl_ids[] = { { 0, 0xe }, { } };
T(dfl, dfl_ids);
static const struct ishtp_device_id ishtp_ids[] = { { .guid = B16(0x33) }, { } };
T(ishtp, ishtp_ids);

static int __init aliases_init(void) { return 0; }
module_init(aliases_init);
MODULE_LICENSE("GPL");

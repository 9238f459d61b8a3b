/*
 * A small liblinphone (5.1) client for the resource-list check (scripts/try-rls-client.sh):
 * one friend list whose RLS address is given (what Linphone's `rls_uri` setting does), N friends
 * sip:<prefix><i>@<domain>, subscriptions on; it runs the core for <seconds> and prints one line
 * per presence change liblinphone reports for a friend:
 *     PRESENCE <uri> <basic open|closed> <note or ->
 * and, at the end, SUMMARY <friends with a presence received> <friends>.
 * usage: rls-driver <rc file> <rls uri> <friend prefix> <domain> <count> <seconds>
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linphone/core.h>

static void on_presence(LinphoneCore *lc, LinphoneFriend *lf) {
	(void)lc;
	const LinphoneAddress *a = linphone_friend_get_address(lf);
	char *uri = a ? linphone_address_as_string_uri_only(a) : NULL;
	const LinphonePresenceModel *m = linphone_friend_get_presence_model(lf);
	const char *basic = "-";
	const char *note = "-";
	if (m) {
		basic = linphone_presence_model_get_basic_status(m) == LinphonePresenceBasicStatusOpen ? "open" : "closed";
		LinphonePresenceNote *n = linphone_presence_model_get_note(m, NULL);
		if (n && linphone_presence_note_get_content(n)) note = linphone_presence_note_get_content(n);
	}
	printf("PRESENCE %s %s %s\n", uri ? uri : "?", basic, note);
	fflush(stdout);
	if (uri) ms_free(uri);
}

int main(int argc, char **argv) {
	if (argc != 7) {
		fprintf(stderr, "usage: %s rc rls-uri prefix domain count seconds\n", argv[0]);
		return 2;
	}
	int count = atoi(argv[5]);
	int seconds = atoi(argv[6]);
	LinphoneFactory *f = linphone_factory_get();
	/* RLS_DRIVER_DEBUG=1: liblinphone's own log (SIP messages included) on stderr. */
	if (getenv("RLS_DRIVER_DEBUG")) {
		linphone_core_set_log_level(ORTP_MESSAGE);
		bctbx_set_log_level(NULL, BCTBX_LOG_MESSAGE);
	}
	LinphoneCoreCbs *cbs = linphone_factory_create_core_cbs(f);
	linphone_core_cbs_set_notify_presence_received(cbs, on_presence);
	LinphoneCore *lc = linphone_factory_create_core_3(f, argv[1], NULL, NULL);
	linphone_core_add_callbacks(lc, cbs);
	linphone_core_start(lc);
	/* Inside a namespace with only loopback, liblinphone would wait for a network forever. */
	linphone_core_set_network_reachable(lc, TRUE);
	LinphoneFriendList *fl = linphone_core_get_default_friend_list(lc);
	linphone_friend_list_set_rls_uri(fl, argv[2]);
	for (int i = 0; i < count; i++) {
		char uri[256];
		snprintf(uri, sizeof uri, "sip:%s%d@%s", argv[3], i, argv[4]);
		LinphoneFriend *fr = linphone_core_create_friend_with_address(lc, uri);
		linphone_friend_enable_subscribes(fr, TRUE);
		linphone_friend_set_inc_subscribe_policy(fr, LinphoneSPAccept);
		linphone_friend_list_add_friend(fl, fr);
		linphone_friend_unref(fr);
	}
	linphone_friend_list_enable_subscriptions(fl, TRUE);
	linphone_friend_list_update_subscriptions(fl);
	for (int t = 0; t < seconds * 50; t++) {
		linphone_core_iterate(lc);
		usleep(20000);
	}
	int got = 0;
	for (const bctbx_list_t *l = linphone_friend_list_get_friends(fl); l; l = l->next) {
		if (linphone_friend_get_presence_model((LinphoneFriend *)l->data)) got++;
	}
	printf("SUMMARY %d %d\n", got, count);
	fflush(stdout);
	linphone_core_stop(lc);
	linphone_core_unref(lc);
	return 0;
}

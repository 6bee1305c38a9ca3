import java.io.FileOutputStream;
import java.io.PrintStream;
import java.util.HashMap;
import java.util.Map;

import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;

/** What the helper programs share: "-k value" arguments, the log file, a push consumer's set-up. */
final class OracleArgs {
    private OracleArgs() {
    }

    static Map<String, String> parse(String[] argv) {
        Map<String, String> a = new HashMap<>();
        for (int i = 0; i + 1 < argv.length; i += 2) {
            a.put(argv[i], argv[i + 1]);
        }
        return a;
    }

    /** The -o file, appended to, one flushed line per println. */
    static PrintStream log(Map<String, String> a) throws Exception {
        return new PrintStream(new FileOutputStream(a.get("-o"), true), true, "UTF-8");
    }

    /** -n namesrv, from the first offset, every message of -t. */
    static DefaultMQPushConsumer subscribeAll(DefaultMQPushConsumer consumer, Map<String, String> a) throws Exception {
        consumer.setNamesrvAddr(a.get("-n"));
        consumer.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        consumer.subscribe(a.get("-t"), "*");
        return consumer;
    }
}

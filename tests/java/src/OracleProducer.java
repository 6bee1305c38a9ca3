import java.io.FileOutputStream;
import java.io.PrintStream;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;

import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageClientIDSetter;

/**
 * Sends numbered messages with the Java client and logs every answer, one line each, flushed at once:
 *
 *   SEND <i> <status> <msgId> <offsetMsgId> <brokerName> <queueId> <queueOffset> <key> <bodyMd5>
 *   FAIL <i> <key> <msgId> <exception class>: <message>      (msgId: the UNIQ_KEY the client gave it, or -)
 *   DONE ok=<n> notok=<n> fail=<n>
 *
 * i is the message number, or w0, w1, ... for warm-up messages (sent until the first SEND_OK, for a
 * SYNC_MASTER whose slave has not reported yet). Any SEND line means the broker stored the message (a status
 * other than SEND_OK only says the flush or the slave was not confirmed); a FAIL line means it is unknown.
 * Bodies are pseudo-random bytes from message number and seed, sizes between --min-size and --max-size.
 *
 * Options: -n NAMESRV -t TOPIC -c COUNT -o OUTFILE [-g GROUP] [-k KEYPREFIX] [--seed N] [--min-size N]
 *          [--max-size N] [--timeout MS] [--retries N] [--warmup-seconds S] [--stop-after-failures N]
 */
public class OracleProducer {
    static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (byte x : b) {
            sb.append(String.format("%02x", x & 0xff));
        }
        return sb.toString();
    }

    static String md5(byte[] body) throws Exception {
        return hex(MessageDigest.getInstance("MD5").digest(body));
    }

    static Map<String, String> parse(String[] args) {
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            m.put(args[i], args[i + 1]);
        }
        return m;
    }

    static String oneLine(Throwable e) {
        String s = e.getClass().getSimpleName() + ": " + e.getMessage();
        return s.replace('\n', ' ').replace('\r', ' ');
    }

    public static void main(String[] argv) throws Exception {
        Map<String, String> a = parse(argv);
        String ns = a.get("-n");
        String topic = a.get("-t");
        int count = Integer.parseInt(a.get("-c"));
        String group = a.getOrDefault("-g", "oracle_producer");
        String keyPrefix = a.getOrDefault("-k", "K");
        long seed = Long.parseLong(a.getOrDefault("--seed", "1"));
        int minSize = Integer.parseInt(a.getOrDefault("--min-size", "1000"));
        int maxSize = Integer.parseInt(a.getOrDefault("--max-size", "6000"));
        int timeout = Integer.parseInt(a.getOrDefault("--timeout", "10000"));
        int retries = Integer.parseInt(a.getOrDefault("--retries", "2"));
        int warmupSeconds = Integer.parseInt(a.getOrDefault("--warmup-seconds", "0"));
        int stopAfterFailures = Integer.parseInt(a.getOrDefault("--stop-after-failures", "0"));
        PrintStream out = new PrintStream(new FileOutputStream(a.get("-o"), true), true, "UTF-8");

        DefaultMQProducer producer = new DefaultMQProducer(group);
        producer.setNamesrvAddr(ns);
        producer.setSendMsgTimeout(timeout);
        producer.setRetryTimesWhenSendFailed(retries);
        producer.start();

        int ok = 0, notOk = 0, fail = 0;
        if (warmupSeconds > 0) {
            long deadline = System.currentTimeMillis() + warmupSeconds * 1000L;
            boolean warm = false;
            for (int j = 0; !warm && System.currentTimeMillis() < deadline; j++) {
                String id = "w" + j;
                String key = keyPrefix + "-" + id;
                byte[] body = ("warm-up " + j).getBytes("UTF-8");
                Message msg = new Message(topic, "TagW", key, body);
                try {
                    SendResult r = producer.send(msg);
                    out.println(sendLine(id, r, key, body));
                    warm = r.getSendStatus() == SendStatus.SEND_OK;
                } catch (Exception e) {
                    String uniq = MessageClientIDSetter.getUniqID(msg);
                    out.println("FAIL " + id + " " + key + " " + (uniq == null ? "-" : uniq) + " " + oneLine(e));
                }
                if (!warm) {
                    Thread.sleep(200);
                }
            }
            if (!warm) {
                out.println("WARMUP_FAILED");
                producer.shutdown();
                System.exit(3);
            }
        }

        int consecutive = 0;
        for (int i = 0; i < count; i++) {
            Random rnd = new Random(seed * 1000003L + i);
            byte[] body = new byte[minSize + rnd.nextInt(maxSize - minSize + 1)];
            rnd.nextBytes(body);
            String key = keyPrefix + "-" + i;
            Message msg = new Message(topic, "TagA", key, body);
            try {
                SendResult r = producer.send(msg);
                out.println(sendLine(Integer.toString(i), r, key, body));
                if (r.getSendStatus() == SendStatus.SEND_OK) {
                    ok++;
                } else {
                    notOk++;
                }
                consecutive = 0;
            } catch (Exception e) {
                String uniq = MessageClientIDSetter.getUniqID(msg);
                out.println("FAIL " + i + " " + key + " " + (uniq == null ? "-" : uniq) + " " + oneLine(e));
                fail++;
                if (stopAfterFailures > 0 && ++consecutive >= stopAfterFailures) {
                    break;
                }
            }
        }
        out.println("DONE ok=" + ok + " notok=" + notOk + " fail=" + fail);
        out.close();
        producer.shutdown();
        System.exit(0);
    }

    static String sendLine(String id, SendResult r, String key, byte[] body) throws Exception {
        return "SEND " + id + " " + r.getSendStatus() + " " + r.getMsgId() + " " + r.getOffsetMsgId() + " "
            + r.getMessageQueue().getBrokerName() + " " + r.getMessageQueue().getQueueId() + " "
            + r.getQueueOffset() + " " + key + " " + md5(body);
    }
}
